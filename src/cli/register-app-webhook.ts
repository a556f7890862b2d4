import type { BotApp } from '../config/bots-file';
import {
  APP_WEBHOOK_FIELDS,
  APP_WEBHOOK_ID,
  APP_WEBHOOK_NAME,
  AppWebhookChange,
  currentAppWebhook,
  describeAppWebhookChange,
  desiredAppWebhook,
  diffAppWebhook,
  EVENTS_TRIGGER_IDS,
  eventsUrl,
} from './app-webhook';
import { checkCallbackUrl } from './callback-url';
import type { EventsCredentials, ManagementSettings } from './cli-config';
import type { CliOutput } from './cli-output';
import { EXIT_FAILED, EXIT_OK } from './exit-codes';
import { ManagementApiClient, ManagementApiError, WebhookRecord } from './management-api.client';

export interface AppWebhookPlan {
  /** The events route's public URL (appWebhookUrl). */
  webhookURL: string;
  dryRun?: boolean;
  /** The apps of the bots being registered: one app webhook each. */
  apps: BotApp[];
  credentials: EventsCredentials;
  /** Unset: print what to set up in the dashboard. */
  management?: ManagementSettings;
  timeoutMs: number;
}

const DOCS = 'docs/app-webhooks.md';
const TRIGGERS = EVENTS_TRIGGER_IDS.join(', ');

/** The events URL from register's --url, checked as CometChat takes URLs: before anything is sent. */
export function appWebhookUrl(url: string, allowHttp?: boolean): string {
  const webhookURL = eventsUrl(url);
  checkCallbackUrl(webhookURL, allowHttp);
  return webhookURL;
}

/** One app per appId, in the order its first bot came. */
export function appsOf(apps: BotApp[]): BotApp[] {
  const seen = new Map<string, BotApp>();
  for (const app of apps) if (!seen.has(app.appId)) seen.set(app.appId, app);
  return [...seen.values()];
}

/**
 * The app webhook that brings edits, deletes and reactions to POST /webhooks/cometchat/events, for each app: printed
 * for the dashboard, or created (updated) through the Management API; a second run changes nothing.
 */
export async function registerAppWebhooks(plan: AppWebhookPlan, out: CliOutput): Promise<number> {
  out.addSecret(plan.credentials.password);
  const desired = desiredAppWebhook({ webhookURL: plan.webhookURL, username: plan.credentials.username, password: plan.credentials.password });
  let code = EXIT_OK;
  for (const app of appsOf(plan.apps)) {
    out.line();
    if (!plan.management) {
      printSetup(app, desired, plan.credentials, out);
      continue;
    }
    code = Math.max(code, await ensure(app, desired, plan, plan.management, out));
  }
  return code;
}

function printSetup(app: BotApp, desired: ReturnType<typeof desiredAppWebhook>, credentials: EventsCredentials, out: CliOutput): void {
  out.line(`app webhook to set up in app ${app.appId} (CometChat dashboard: Settings > Webhooks; see ${DOCS}):`);
  for (const field of APP_WEBHOOK_FIELDS) {
    out.line(
      `  ${field === 'password' ? `password: ${credentials.passwordSource} (not shown)` : describeAppWebhookChange({ field, from: undefined, to: desired[field] }, true)}`,
    );
  }
  out.line(`  triggers: ${TRIGGERS}`);
  out.line('or let register create it: set COMETCHAT_MANAGEMENT_KEY and COMETCHAT_MANAGEMENT_SECRET (the Management API) and run it again');
}

async function ensure(
  app: BotApp,
  desired: ReturnType<typeof desiredAppWebhook>,
  plan: AppWebhookPlan,
  management: ManagementSettings,
  out: CliOutput,
): Promise<number> {
  const api = new ManagementApiClient(management.url, management.key, management.secret, plan.timeoutMs);
  const dry = plan.dryRun ? ' (dry run: nothing sent)' : '';
  try {
    // Ours by id, or one already calling the events route (made in the dashboard, say): never a second one.
    const listed = await api.listWebhooks(app.appId);
    listed.forEach((webhook) => out.addSecret(webhook.password));
    const found = listed.find((webhook) => webhook.id === APP_WEBHOOK_ID) ?? listed.find((webhook) => webhook.webhookURL === desired.webhookURL);
    if (!found?.id) {
      out.line(`${plan.dryRun ? 'would create' : 'creating'} app webhook ${APP_WEBHOOK_ID} in app ${app.appId} (${api.baseUrl})${dry}`);
      for (const field of APP_WEBHOOK_FIELDS) out.line(`  ${describeAppWebhookChange({ field, from: undefined, to: desired[field] }, true)}`);
      out.line(`  triggers: ${TRIGGERS}`);
      if (plan.dryRun) return EXIT_OK;
      await api.createWebhook(app.appId, { id: APP_WEBHOOK_ID, name: APP_WEBHOOK_NAME, ...desired });
      await api.addTriggers(app.appId, APP_WEBHOOK_ID, [...EVENTS_TRIGGER_IDS]);
      out.line(`created app webhook ${APP_WEBHOOK_ID} in app ${app.appId}`);
      return EXIT_OK;
    }

    const id = found.id;
    const record: WebhookRecord = (await api.getWebhook(app.appId, id)) ?? found;
    out.addSecret(record.password); // echoed in plain text, as the Bots API does
    const changes = diffAppWebhook(currentAppWebhook(record), desired);
    const present = await api.listTriggers(app.appId, id);
    const missing = EVENTS_TRIGGER_IDS.filter((trigger) => !present.includes(trigger));
    if (changes.length === 0 && missing.length === 0) {
      out.line(`app webhook ${id} of app ${app.appId} is up to date: no changes`);
      return EXIT_OK;
    }
    out.line(`${plan.dryRun ? 'would update' : 'updating'} app webhook ${id} in app ${app.appId} (${api.baseUrl})${dry}`);
    for (const change of changes) out.line(`  ${describeAppWebhookChange(change)}`);
    if (missing.length > 0) out.line(`  triggers: + ${missing.join(', ')}`);
    if (plan.dryRun) return EXIT_OK;
    if (changes.length > 0) await api.updateWebhook(app.appId, id, changedFields(changes));
    if (missing.length > 0) await api.addTriggers(app.appId, id, missing);
    out.line(`updated app webhook ${id}: ${count(changes.length, 'field')} changed, ${count(missing.length, 'trigger')} added`);
    return EXIT_OK;
  } catch (error) {
    if (!(error instanceof ManagementApiError)) throw error;
    out.error(`error: ${error.message}`);
    out.error(`fix: ${fixFor(error)}`);
    return EXIT_FAILED;
  }
}

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** The body of a PUT: only the changed fields. */
const changedFields = (changes: AppWebhookChange[]) => Object.fromEntries(changes.map(({ field, to }) => [field, to]));

function fixFor(error: ManagementApiError): string {
  switch (error.kind) {
    case 'unreachable':
      return 'check COMETCHAT_MANAGEMENT_API_URL (default https://apimgmt.cometchat.io) and that this machine reaches it';
    case 'auth':
      return "check COMETCHAT_MANAGEMENT_KEY and COMETCHAT_MANAGEMENT_SECRET: the Management API's key and secret (plans with multi-tenancy), not the REST API key";
    default:
      return `see the answer above; or set the webhook up in the dashboard (${DOCS}) and run register without the Management API credentials`;
  }
}
