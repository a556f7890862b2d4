import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseDocument, YAMLError } from 'yaml';
import { cometchatApiUrl, type CometChatMode, type CometChatRegion, type GroupChatSetting, SANDBOX_WEBHOOK_PASSWORD, toUid } from './bot-rules';
import { BotsFileAppDto, BotsFileBotDto } from './bots-file.dto';
import type { EnvironmentVariables } from './env.validation';

/** A CometChat app, as its bots reach it. */
export interface BotApp {
  /** Its local name: the key under `apps` in BOTS_FILE; `default` for the single-bot variables. */
  name: string;
  appId: string;
  region: CometChatRegion;
  /** Absent in sandbox mode, where nothing reaches CometChat. */
  apiKey?: string;
  /** The REST base URL, no trailing slash: the file's `apiUrl`, else `https://{appId}.api-{region}.cometchat.io/v3`. */
  apiUrl: string;
}

/** One bot this deployment serves, every setting resolved. */
export interface BotDefinition {
  /** Lowercased, as CometChat stores UIDs. */
  uid: string;
  app: BotApp;
  /** The Basic Auth CometChat sends with this bot's callbacks. */
  webhook: { username: string; password: string };
  /** The bot's own, else GROUP_CHAT_SETTING. */
  groupChatSetting: GroupChatSetting;
  /** The responders it runs, by name; absent: all of them. */
  responders?: string[];
  /** Its own send budget a minute; absent: none of its own. */
  sendsPerMinute?: number;
  /** The Bearer token of its AG-UI endpoint; absent: no endpoint. */
  agentToken?: string;
  /** Its own LLM settings, each over the environment's (LLM_MODEL, LLM_SYSTEM_PROMPT, LLM_DAILY_TOKENS_PER_USER). */
  llm?: { model?: string; systemPrompt?: string; dailyTokensPerUser?: number };
}

/** What BOTS_FILE holds: its bots (when there are no problems), the mode its apps mean, and every problem found. */
export interface BotsFile {
  bots: BotDefinition[];
  mode: CometChatMode;
  problems: string[];
}

/** The app the single-bot variables describe. */
export const DEFAULT_APP_NAME = 'default';

/**
 * The single-bot variables, not read with BOTS_FILE: each bot's settings are in the file. Set alongside it, each is
 * refused, unless the file reads it as `${NAME}` (DESIGN.md's own example takes `apiKey: "${COMETCHAT_API_KEY}"`).
 * BOT_UID is refused even then: a bot is configured in one place.
 */
export const SINGLE_BOT_VARIABLES = [
  'BOT_UID',
  'WEBHOOK_USERNAME',
  'WEBHOOK_PASSWORD',
  'COMETCHAT_APP_ID',
  'COMETCHAT_REGION',
  'COMETCHAT_API_KEY',
  'COMETCHAT_API_URL',
  'AGENT_TOKEN',
] as const;

const TOP_LEVEL_KEYS = ['apps', 'bots'];
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

type Mapping = Record<string, unknown>;
const isMapping = (value: unknown): value is Mapping => typeof value === 'object' && value !== null && !Array.isArray(value);
const hasText = (value: unknown): value is string => typeof value === 'string' && value !== '';

interface LoadOptions {
  /** The process environment `${VAR}` is read from (validateEnv's input: an empty variable counts as unset). */
  environment: Record<string, unknown>;
  /** GROUP_CHAT_SETTING: a bot's group chat setting when it has none of its own. */
  groupChatSetting: GroupChatSetting;
}

/**
 * Reads, parses and checks BOTS_FILE: YAML, or JSON when the name ends in `.json`. Problems are worded as validateEnv
 * words the environment's, each starting with BOTS_FILE (or the variable it is about); none holds a secret: no
 * password, API key or token, nor any value a `${VAR}` brought in.
 */
export function loadBotsFile(path: string, options: LoadOptions): BotsFile {
  const read = readDocument(path);
  if ('problem' in read) return { bots: [], mode: 'live', problems: [read.problem] };
  return resolveBotsDocument(read.document, options);
}

function readDocument(path: string): { document: unknown } | { problem: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  } catch (error) {
    const reasons: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'it is a directory' };
    const { code, message } = error as NodeJS.ErrnoException;
    return { problem: `BOTS_FILE: cannot read ${path}: ${(code && reasons[code]) ?? message}` };
  }
  if (extname(path).toLowerCase() === '.json') {
    try {
      return { document: JSON.parse(text) };
    } catch (error) {
      return { problem: `BOTS_FILE: ${path} is not valid JSON: ${jsonReason((error as Error).message, text)}` };
    }
  }
  const document = parseDocument(text);
  if (document.errors.length > 0) return { problem: `BOTS_FILE: ${path} is not valid YAML: ${yamlReason(document.errors[0])}` };
  try {
    return { document: document.toJS() };
  } catch (error) {
    // An alias without its anchor, or too many aliases (a "billion laughs" file).
    return { problem: `BOTS_FILE: ${path} is not valid YAML: ${(error as Error).message.split('\n')[0]}` };
  }
}

/** The parser's words without the excerpt of the file it quotes (which may hold a secret), and where. */
function yamlReason(error: YAMLError): string {
  const words = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  const at = error.linePos?.[0];
  return at ? `${words} (line ${at.line}, column ${at.col})` : words;
}

/** V8's words without the excerpt of the file it quotes (`Unexpected token 'x', "…" is not valid JSON`), and where. */
function jsonReason(message: string, text: string): string {
  const words = / is not valid JSON$/.test(message) ? message.slice(0, message.indexOf(', ')) : message;
  const at = / in JSON at position (\d+)(?: \(line \d+ column \d+\))?$/.exec(words);
  if (!at) return words;
  const before = text.slice(0, Number(at[1])).split('\n');
  return `${words.slice(0, at.index)} (line ${before.length}, column ${before[before.length - 1].length + 1})`;
}

/** The parsed file, checked and resolved. Exported for the specs; loadBotsFile is the way in. */
export function resolveBotsDocument(parsed: unknown, options: LoadOptions): BotsFile {
  const problems: string[] = [];
  const used = new Set<string>();
  /** The values `${VAR}` changed, as written: what a message may show instead of the value. */
  const written = new Map<string, string>();
  /** The values with a `${VAR}` left unset: their problem is said once, as that. */
  const unresolved = new Set<string>();
  const document = substitute(parsed, '', { environment: options.environment, problems, used, written, unresolved });
  const shown = (path: string, value: string) => JSON.stringify(written.get(path) ?? value);

  if (!isMapping(document)) return { bots: [], mode: 'live', problems: ['BOTS_FILE: the file must hold a mapping with apps and bots'] };
  for (const key of Object.keys(document).filter((key) => !TOP_LEVEL_KEYS.includes(key))) {
    problems.push(`BOTS_FILE ${key} is not a known key (${TOP_LEVEL_KEYS.join(', ')})`);
  }

  // Apps.
  const appEntries = isMapping(document.apps) ? Object.entries(document.apps) : [];
  if (document.apps === undefined) problems.push('BOTS_FILE apps is required: the CometChat apps, each by a local name');
  else if (appEntries.length === 0) problems.push('BOTS_FILE apps must map a local name to each CometChat app ({ appId, region, apiKey, apiUrl })');
  // Present credentials never mean sandbox silently: an app with an apiKey means live, unless COMETCHAT_MODE says sandbox.
  const requested = options.environment.COMETCHAT_MODE;
  const anyKey = appEntries.some(([, app]) => isMapping(app) && app.apiKey !== undefined && app.apiKey !== '');
  const mode: CometChatMode = requested === 'sandbox' || (requested === undefined && !anyKey) ? 'sandbox' : 'live';
  const apps = new Map<string, BotApp>();
  for (const [name, value] of appEntries) {
    const app = validated(BotsFileAppDto, value, `apps.${name}`, problems, unresolved);
    if (mode === 'live' && isMapping(value) && (value.apiKey === undefined || value.apiKey === '')) {
      problems.push(
        `BOTS_FILE apps.${name}.apiKey is required in live mode (an app with an apiKey, or COMETCHAT_MODE=live, means live; COMETCHAT_MODE=sandbox for the sandbox)`,
      );
    }
    if (!app) continue;
    apps.set(name, {
      name,
      appId: app.appId,
      region: app.region,
      ...(app.apiKey === undefined ? {} : { apiKey: app.apiKey }),
      apiUrl: cometchatApiUrl(app),
    });
  }

  // Bots.
  const botEntries = Array.isArray(document.bots) ? (document.bots as unknown[]) : [];
  if (document.bots === undefined) problems.push('BOTS_FILE bots is required: the list of the bots this service serves');
  else if (botEntries.length === 0) problems.push('BOTS_FILE bots must be a list of at least one bot');
  const bots: BotDefinition[] = [];
  /** Each bot's uid, lowercased as CometChat does, by its place in the file. */
  const uids = botEntries.map((value) => (isMapping(value) && typeof value.uid === 'string' ? String(toUid({ value: value.uid })) : undefined));
  botEntries.forEach((value, i) => {
    const at = `bots[${i}]`;
    const bot = validated(BotsFileBotDto, value, at, problems, unresolved);
    if (!isMapping(value)) return;
    const first = uids.indexOf(uids[i]);
    if (uids[i] && first < i && !unresolved.has(`${at}.uid`) && !unresolved.has(`bots[${first}].uid`)) {
      const earlier = botEntries[first] as Mapping;
      problems.push(
        `BOTS_FILE bots[${first}].uid ${shown(`bots[${first}].uid`, earlier.uid as string)} and ${at}.uid ${shown(`${at}.uid`, value.uid as string)} are one bot (CometChat lowercases uids): list each bot once`,
      );
    }
    if (typeof value.app === 'string' && isMapping(document.apps) && !Object.hasOwn(document.apps, value.app) && !unresolved.has(`${at}.app`)) {
      problems.push(
        `BOTS_FILE ${at}.app: ${shown(`${at}.app`, value.app)} is not an app of the file (apps: ${appEntries.map(([name]) => name).join(', ')})`,
      );
    }
    if (mode === 'live' && isMapping(value.webhook) && value.webhook.password === SANDBOX_WEBHOOK_PASSWORD) {
      problems.push(`BOTS_FILE ${at}.webhook.password is the development-only sandbox password; a live bot needs its own`);
    }
    const app = bot && apps.get(bot.app);
    if (!bot || !app) return;
    bots.push({
      uid: bot.uid,
      app,
      webhook: { username: bot.webhook.username, password: bot.webhook.password },
      groupChatSetting: bot.groupChatSetting ?? options.groupChatSetting,
      ...(bot.responders === undefined ? {} : { responders: [...bot.responders] }),
      ...(bot.sendsPerMinute === undefined ? {} : { sendsPerMinute: bot.sendsPerMinute }),
      ...(bot.agentToken === undefined ? {} : { agentToken: bot.agentToken }),
      ...(bot.llm === undefined ? {} : { llm: { ...bot.llm } }),
    });
    if (bot.llm !== undefined && !hasText(options.environment.LLM_MODEL)) {
      problems.push(`BOTS_FILE ${at}.llm: the LLM responder is off (LLM_MODEL is not set); set LLM_MODEL, the default model, to run it`);
    }
  });

  problems.push(...singleBotConflicts(options.environment, used, uids));
  return { bots: problems.length === 0 ? bots : [], mode, problems };
}

/** The single-bot variables set alongside BOTS_FILE (see SINGLE_BOT_VARIABLES). */
function singleBotConflicts(environment: Record<string, unknown>, used: Set<string>, uids: Array<string | undefined>): string[] {
  const problems: string[] = [];
  for (const name of SINGLE_BOT_VARIABLES) {
    const value = environment[name];
    if (value === undefined || value === '') continue;
    if (name === 'BOT_UID') {
      // Not a secret: a UID is what users see of the bot.
      const uid = String(toUid({ value }));
      const i = uids.indexOf(uid);
      problems.push(
        i >= 0
          ? `BOT_UID: ${uid} is also bots[${i}] of BOTS_FILE; a bot is configured in one place: remove BOT_UID`
          : `BOT_UID is not read with BOTS_FILE (the bots are the file's): remove it, or move its bot into the file`,
      );
    } else if (!used.has(name)) {
      problems.push(`${name} is not read with BOTS_FILE (each bot's settings are in the file): remove it, or use it in the file as \${${name}}`);
    }
  }
  return problems;
}

interface Substitution {
  environment: Record<string, unknown>;
  problems: string[];
  used: Set<string>;
  written: Map<string, string>;
  unresolved: Set<string>;
}

/**
 * `${NAME}` in every string value, from the environment (`$${` writes a `${`). Done on the parsed values, not on the
 * text, so a value can never change the file's structure. A missing variable is named with where it is used.
 */
function substitute(value: unknown, path: string, context: Substitution): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    const result = value.replace(/\$\$\{|\$\{([^}]*)\}/g, (match, name: string | undefined) => {
      if (match === '$${') return '${';
      if (!VARIABLE_NAME.test(name!)) {
        context.problems.push(`BOTS_FILE ${path}: a \${…} that is not \${NAME} (letters, digits and _); write $\${ for a literal \${`);
        context.unresolved.add(path);
        return match;
      }
      context.used.add(name!);
      const found = context.environment[name!];
      if (hasText(found)) return found;
      context.problems.push(`BOTS_FILE ${path}: \${${name}} is not set`);
      context.unresolved.add(path);
      return match;
    });
    if (result !== value) context.written.set(path, value);
    return result;
  }
  if (Array.isArray(value)) return value.map((item, i) => substitute(item, `${path}[${i}]`, context));
  if (isMapping(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, path ? `${path}.${key}` : key, context)]));
  }
  return value;
}

/** One entry checked by its DTO; its problems (each with its path, but for values already said unresolved) added to `problems`. */
function validated<T extends object>(type: new () => T, value: unknown, path: string, problems: string[], unresolved: Set<string>): T | undefined {
  if (!isMapping(value)) {
    problems.push(`BOTS_FILE ${path} must be a mapping (${Object.keys(new type()).join(', ')})`);
    return undefined;
  }
  const entry = plainToInstance(type, value);
  const errors = validateSync(entry, { whitelist: true, forbidNonWhitelisted: true, stopAtFirstError: true, forbidUnknownValues: false });
  const found = describeErrors(errors, path);
  problems.push(...found.filter(({ at }) => !unresolved.has(at)).map(({ problem }) => `BOTS_FILE ${problem}`));
  return found.length === 0 ? entry : undefined;
}

/** One message per key, the first rule it breaks, with the key's path in place of its name. */
function describeErrors(errors: ValidationError[], path: string): Array<{ at: string; problem: string }> {
  return errors.flatMap((error) => {
    const at = `${path}.${error.property}`;
    if (error.constraints?.whitelistValidation) {
      const known = Object.keys(new (error.target!.constructor as new () => object)());
      return [{ at, problem: `${at} is not a known key (${known.join(', ')})` }];
    }
    if (error.value === undefined) return [{ at, problem: `${at} is required` }];
    if (error.children?.length) return describeErrors(error.children, at);
    const [first = `${error.property} is invalid`] = Object.values(error.constraints ?? {});
    return [{ at, problem: first.startsWith(error.property) ? `${at}${first.slice(error.property.length)}` : `${at}: ${first}` }];
  });
}

/** Each environment validateEnv read a BOTS_FILE for, with its bots. */
const FILE_BOTS = new WeakMap<EnvironmentVariables, BotDefinition[]>();

/**
 * Keeps the file's bots with the environment validateEnv returns. Until the service routes and sends per bot, the
 * rest of it, and the CLI, read one bot from the single-bot variables: those become the file's bot (a file of several
 * is refused when the app is built: ConfigModule), and COMETCHAT_MODE the mode its apps mean.
 */
export function applyBotsFile(env: EnvironmentVariables, file: BotsFile): void {
  FILE_BOTS.set(env, file.bots);
  const [first] = file.bots;
  env.COMETCHAT_MODE = file.mode;
  env.BOT_UID = first.uid;
  env.WEBHOOK_USERNAME = first.webhook.username;
  env.WEBHOOK_PASSWORD = first.webhook.password;
  env.COMETCHAT_APP_ID = first.app.appId;
  env.COMETCHAT_REGION = first.app.region;
  env.COMETCHAT_API_KEY = first.app.apiKey ?? '';
  env.COMETCHAT_API_URL = first.app.apiUrl;
  env.GROUP_CHAT_SETTING = first.groupChatSetting;
  env.AGENT_TOKEN = first.agentToken;
}

/** Every bot this deployment serves: BOTS_FILE's, or the one the single-bot variables describe. */
export function botsOf(env: EnvironmentVariables): BotDefinition[] {
  const fromFile = FILE_BOTS.get(env);
  if (fromFile) return fromFile;
  if (env.BOTS_FILE !== undefined) throw new Error('BOTS_FILE is read by validateEnv(raw): use the environment it returns');
  return [singleBot(env)];
}

/** The bot of BOT_UID, WEBHOOK_*, COMETCHAT_*, GROUP_CHAT_SETTING and AGENT_TOKEN. */
export function singleBot(env: EnvironmentVariables): BotDefinition {
  return {
    uid: env.BOT_UID,
    app: {
      name: DEFAULT_APP_NAME,
      appId: env.COMETCHAT_APP_ID,
      region: env.COMETCHAT_REGION as CometChatRegion,
      ...(env.COMETCHAT_API_KEY ? { apiKey: env.COMETCHAT_API_KEY } : {}),
      apiUrl: cometchatApiUrl({ appId: env.COMETCHAT_APP_ID, region: env.COMETCHAT_REGION, apiUrl: env.COMETCHAT_API_URL }),
    },
    webhook: { username: env.WEBHOOK_USERNAME, password: env.WEBHOOK_PASSWORD },
    groupChatSetting: env.GROUP_CHAT_SETTING,
    ...(env.AGENT_TOKEN === undefined ? {} : { agentToken: env.AGENT_TOKEN }),
  };
}
