/** The OpenTelemetry variables that decide whether traces are exported at all. */
export interface TracingSwitch {
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string;
  OTEL_SDK_DISABLED?: string | boolean;
}

/**
 * Traces are exported when an OTLP endpoint is set and the SDK is not disabled. One rule for the SDK's start
 * (src/tracing, the raw environment) and for the app's validated configuration (src/config, which then gives BullMQ
 * its telemetry); it lives here so that neither of the two imports the other.
 */
export function tracesWanted(env: TracingSwitch): boolean {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  const disabled =
    env.OTEL_SDK_DISABLED === true ||
    String(env.OTEL_SDK_DISABLED ?? '')
      .trim()
      .toLowerCase() === 'true';
  return Boolean(endpoint) && !disabled;
}
