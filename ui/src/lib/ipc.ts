// The only module that talks to Rust: it alone calls `invoke` and `listen`. Components import
// these functions; tests mock `@tauri-apps/api/core` and `@tauri-apps/api/event`.
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import {
  type AuthorizeWaiting,
  type CommandName,
  type ConnectorEditInput,
  type ConnectorInput,
  type ConnectorView,
  type Diagnosis,
  type ErrorCode,
  ERROR_CODES,
  EVENTS,
  type FocusConnector,
  type IpcError,
  type MachineClientInput,
  type OAuthClientInput,
  type OAuthClientView,
  type Reauthorized,
  type RedirectUris,
  type Saved,
  type SignInInput,
  type StatusEvent,
  type StepUpView,
  type Workspace,
} from './types';

export type { UnlistenFn };

/**
 * What each command takes and answers. The names are the generated `COMMANDS`: leaving one out,
 * or naming one Rust does not have, is a type error. Arguments use the camelCase names Tauri
 * expects; a command that returns nothing in Rust answers `null`.
 */
export type Commands = Contract<{
  list_workspaces: { args: NoArgs; result: Workspace[] };
  add_workspace: { args: { name: string }; result: Workspace };
  rename_workspace: { args: { oldName: string; newName: string }; result: Workspace };
  remove_workspace: { args: { name: string }; result: null };
  list_connectors: { args: { workspace: string }; result: ConnectorView[] };
  add_connector: { args: { workspace: string; input: ConnectorInput }; result: Saved };
  edit_connector: {
    args: { workspace: string; name: string; input: ConnectorEditInput };
    result: Saved;
  };
  remove_connector: { args: ConnectorArgs; result: null };
  test_connector: { args: ConnectorArgs; result: Diagnosis };
  check_now: { args: { connectorId: string | null }; result: null };
  authorize_connector: {
    args: {
      workspace: string;
      input: ConnectorInput;
      client: OAuthClientInput | null;
      flow: SignInInput;
    };
    result: Saved;
  };
  reauthorize_connector: {
    args: { workspace: string; name: string; client: OAuthClientInput | null; flow: SignInInput };
    result: Reauthorized;
  };
  cancel_authorization: { args: { flowId: string }; result: null };
  oauth_redirect_uris: { args: NoArgs; result: RedirectUris };
  forget_credentials: { args: ConnectorArgs; result: ConnectorView };
  connector_step_up: { args: ConnectorArgs; result: StepUpView };
  add_machine_connector: {
    args: { workspace: string; input: ConnectorInput; client: MachineClientInput };
    result: Saved;
  };
  renew_machine_connector: {
    args: { workspace: string; name: string; client: MachineClientInput | null };
    result: Saved;
  };
  oauth_client: { args: ConnectorArgs; result: OAuthClientView | null };
}>;

export type CommandArgs<C extends CommandName> = Commands[C]['args'];
export type CommandResult<C extends CommandName> = Commands[C]['result'];

/** The name of an event the shell emits (the generated `EVENTS`). */
export type EventName = (typeof EVENTS)[keyof typeof EVENTS];

type NoArgs = Record<string, never>;
type ConnectorArgs = { workspace: string; name: string };

/** Exactly one entry per generated command name: none missing, none extra. */
type Contract<
  T extends Record<CommandName, { args: Record<string, unknown>; result: unknown }> &
    Record<Exclude<keyof T, CommandName>, never>,
> = T;

// Workspaces

export function listWorkspaces(): Promise<Workspace[]> {
  return call('list_workspaces', {});
}

export function addWorkspace(name: string): Promise<Workspace> {
  return call('add_workspace', { name });
}

export function renameWorkspace(oldName: string, newName: string): Promise<Workspace> {
  return call('rename_workspace', { oldName, newName });
}

export function removeWorkspace(name: string): Promise<null> {
  return call('remove_workspace', { name });
}

// Connectors

export function listConnectors(workspace: string): Promise<ConnectorView[]> {
  return call('list_connectors', { workspace });
}

/** Tests the connection first; rejects with an `IpcError` carrying the diagnosis if it fails. */
export function addConnector(workspace: string, input: ConnectorInput): Promise<Saved> {
  return call('add_connector', { workspace, input });
}

/** `name` is the connector's current name; `null` fields in `input` keep what is stored. */
export function editConnector(
  workspace: string,
  name: string,
  input: ConnectorEditInput,
): Promise<Saved> {
  return call('edit_connector', { workspace, name, input });
}

export function removeConnector(workspace: string, name: string): Promise<null> {
  return call('remove_connector', { workspace, name });
}

export function testConnector(workspace: string, name: string): Promise<Diagnosis> {
  return call('test_connector', { workspace, name });
}

/** Queues a check of one connector, or of all with `null`; results arrive as status events. */
export function checkNow(connectorId: string | null): Promise<null> {
  return call('check_now', { connectorId });
}

// OAuth sign-in. Rust opens the browser, waits for the redirect (Patchbay's deep link, or a
// loopback listener), exchanges the code and keeps the tokens: the webview only ever sees the
// authorization URL (to offer "copy link") and where the browser comes back to.

/**
 * Signs in, tests the connection and saves the new connector; nothing is saved on failure.
 * Waits (up to `AUTHORIZE_TIMEOUT_SECONDS`) for the browser; `EVENTS.authorizeWaiting` says where
 * the browser was sent.
 * `client` is a pre-registered client, for servers without dynamic client registration; `flow`
 * names this sign-in (for Cancel) and picks the redirect. A server that offers no way to
 * register rejects with `NeedsClientId` and the redirect URI to register.
 */
export function authorizeConnector(
  workspace: string,
  input: ConnectorInput,
  client: OAuthClientInput | null,
  flow: SignInInput,
): Promise<Saved> {
  return call('authorize_connector', { workspace, input, client, flow });
}

/**
 * Signs in again to an existing OAuth connector (expired or revoked tokens, or a step-up: it
 * asks for the grant's scopes plus those a server refused a request for). `not_granted` names
 * the scopes it asked for that the server left out.
 */
export function reauthorizeConnector(
  workspace: string,
  name: string,
  client: OAuthClientInput | null,
  flow: SignInInput,
): Promise<Reauthorized> {
  return call('reauthorize_connector', { workspace, name, client, flow });
}

/**
 * What Re-authenticate will ask for beyond the grant: scopes a server refused a request for
 * (403 insufficient_scope), and those it did not grant last time. Both empty without a step-up.
 */
export function connectorStepUp(workspace: string, name: string): Promise<StepUpView> {
  return call('connector_step_up', { workspace, name });
}

/** Stops sign-in `flowId` if it still waits; its call then rejects with "sign-in cancelled". */
export function cancelAuthorization(flowId: string): Promise<null> {
  return call('cancel_authorization', { flowId });
}

/** The redirect URIs a person registers for a pre-registered client (the app's link, loopback). */
export function oauthRedirectUris(): Promise<RedirectUris> {
  return call('oauth_redirect_uris', {});
}

/** Forgets a connector's tokens and client registration; it then needs authentication. */
export function forgetCredentials(workspace: string, name: string): Promise<ConnectorView> {
  return call('forget_credentials', { workspace, name });
}

// Machine connectors: their own client gets the tokens with the client-credentials grant. No
// browser, no flow id; the secret or key goes to Rust and never comes back.

/**
 * Gets a token for `client`, tests the connection and saves the new OAuth connector; nothing is
 * saved on failure (a rejected client rejects with `NeedsAuth` and core's explanation).
 */
export function addMachineConnector(
  workspace: string,
  input: ConnectorInput,
  client: MachineClientInput,
): Promise<Saved> {
  return call('add_machine_connector', { workspace, input, client });
}

/**
 * Renews a machine connector's token now: with its stored client (`client` null), or with a new
 * secret or key. The connector changes only once the new token works.
 */
export function renewMachineConnector(
  workspace: string,
  name: string,
  client: MachineClientInput | null,
): Promise<Saved> {
  return call('renew_machine_connector', { workspace, name, client });
}

/** The OAuth client a connector's tokens come from (never its secret); null when none is stored. */
export function oauthClient(workspace: string, name: string): Promise<OAuthClientView | null> {
  return call('oauth_client', { workspace, name });
}

// Events

/** A connector was checked; sent by the status monitor in Rust. */
export function onConnectorStatus(handler: (event: StatusEvent) => void): Promise<UnlistenFn> {
  return subscribe(EVENTS.connectorStatus, handler);
}

/** The user picked a connector in the tray menu. */
export function onFocusConnector(handler: (event: FocusConnector) => void): Promise<UnlistenFn> {
  return subscribe(EVENTS.focusConnector, handler);
}

/** A sign-in sent the browser to this URL and is waiting for the redirect. */
export function onAuthorizeWaiting(
  handler: (event: AuthorizeWaiting) => void,
): Promise<UnlistenFn> {
  return subscribe(EVENTS.authorizeWaiting, handler);
}

async function call<C extends CommandName>(
  command: C,
  args: CommandArgs<C>,
): Promise<CommandResult<C>> {
  try {
    return await invoke<CommandResult<C>>(command, args);
  } catch (error) {
    throw toIpcError(error);
  }
}

async function subscribe<T>(event: EventName, handler: (payload: T) => void): Promise<UnlistenFn> {
  try {
    return await listen<T>(event, (message) => handler(message.payload));
  } catch (error) {
    throw toIpcError(error);
  }
}

/**
 * Commands reject with `{ code, message, hint?, diagnosis?, redirect_uri? }`; anything else (a
 * missing command, a panic, no Tauri at all) becomes `Internal` so the UI has one error shape.
 */
export function toIpcError(error: unknown): IpcError {
  if (typeof error === 'object' && error !== null && 'code' in error && 'message' in error) {
    const { code, message, hint, diagnosis, redirect_uri } = error as Record<string, unknown>;
    if (ERROR_CODES.includes(code as ErrorCode) && typeof message === 'string') {
      return {
        code: code as ErrorCode,
        message,
        hint: typeof hint === 'string' && hint !== '' ? hint : null,
        diagnosis: isDiagnosis(diagnosis) ? diagnosis : null,
        redirect_uri: typeof redirect_uri === 'string' && redirect_uri !== '' ? redirect_uri : null,
      };
    }
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'Internal', message, hint: null, diagnosis: null, redirect_uri: null };
}

function isDiagnosis(value: unknown): value is Diagnosis {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Diagnosis).stage === 'string' &&
    typeof (value as Diagnosis).ok === 'boolean'
  );
}
