// One step run as the page sees it. The page picks the run id, listens for that run's
// `step-run` events, then calls `run_step`: model text streams into the current turn, each tool
// call appears when the model asks for it, an approval waits on its call's card until the person
// answers, and finished calls and turns replace what streamed with what counts. When the run ends
// its saved record is the truth; a run that failed or was cancelled after it started is fetched
// (`run_record`) so its transcript so far stays on screen.
import {
  answerApproval,
  cancelRun,
  onStepRun,
  runRecord,
  runStep,
  type UnlistenFn,
} from './ipc';
import type {
  ApprovalAnswer,
  CallRecord,
  IpcError,
  RunRecord,
  StepRunEventKind,
  StepSpec,
  Turn,
} from './types';

export type RunPhase = 'starting' | 'running' | 'finished' | 'failed';

/** An approval the run waits for. */
export interface PendingApproval {
  requestId: string;
  connector: string;
  tool: string;
  arguments: unknown;
  readOnly: boolean;
  destructive: boolean;
  /** The answer being sent or sent; the card then waits for the call to finish. */
  answer: ApprovalAnswer | null;
}

/** A tool call as the transcript shows it: asked for, maybe waiting for approval, or done. */
export interface ShownCall {
  id: string;
  name: string;
  connector: string | null;
  tool: string | null;
  arguments: unknown;
  approval: PendingApproval | null;
  /** The finished call (result, approval, duration); null while it waits or runs. */
  record: CallRecord | null;
}

/** One round of the conversation: what the model said and the calls it made. */
export interface ShownTurn {
  key: string;
  round: number;
  text: string;
  calls: ShownCall[];
  /** The finished turn (usage, duration); null while the model is still answering. */
  turn: Turn | null;
}

/** A fresh id for one run (letters, digits and dashes, as Rust requires). */
export function newRunId(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') {
    return crypto.randomUUID();
  }
  return `run-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** The turns of a finished transcript, shown the same way as live ones. */
export function shownTurns(turns: Turn[]): ShownTurn[] {
  return turns.map((turn, index) => ({
    key: `saved-${index}`,
    round: turn.round,
    text: turn.text,
    calls: turn.calls.map((call) => ({
      id: call.id,
      name: call.name,
      connector: call.connector,
      tool: call.tool,
      arguments: call.arguments,
      approval: null,
      record: call,
    })),
    turn,
  }));
}

export class StepRun {
  readonly id: string;
  readonly workspace: string;
  readonly step: string | null;
  readonly spec: StepSpec;
  readonly startedAt = Date.now();

  phase = $state<RunPhase>('starting');
  turns = $state<ShownTurn[]>([]);
  /** The saved run: when it finished, or the part kept when it failed or was cancelled. */
  record = $state<RunRecord | null>(null);
  /** Why it failed or could not start. */
  error = $state<IpcError | null>(null);
  /** Set when the failed run's record could not be read either. */
  recordError = $state<IpcError | null>(null);
  cancelling = $state(false);
  /** A problem sending an approval answer or Cancel, shown next to the buttons. */
  actionError = $state<IpcError | null>(null);

  #unlisten: UnlistenFn | null = null;
  #turnKey = 0;
  #ended = false;

  constructor(workspace: string, step: string | null, spec: StepSpec, id = newRunId()) {
    this.workspace = workspace;
    this.step = step;
    this.spec = spec;
    this.id = id;
  }

  get active(): boolean {
    return this.phase === 'starting' || this.phase === 'running';
  }

  /** The calls waiting for the person, in the order they were asked. */
  get waiting(): ShownCall[] {
    return this.turns.flatMap((turn) =>
      turn.calls.filter((call) => call.approval !== null && call.record === null),
    );
  }

  /** Calls approved (or needing no approval) that have not finished yet. */
  get running(): ShownCall[] {
    return this.turns.flatMap((turn) =>
      turn.calls.filter(
        (call) => call.record === null && (call.approval === null || call.approval.answer !== null),
      ),
    );
  }

  get currentRound(): number {
    return this.turns[this.turns.length - 1]?.round ?? 0;
  }

  /** Listens for this run's events, runs it, and settles with its record. Never rejects. */
  async start(): Promise<void> {
    try {
      this.#unlisten = await onStepRun((message) => {
        if (message.run_id === this.id && !this.#ended) this.apply(message.event);
      });
    } catch (error) {
      this.#fail(error as IpcError);
      return;
    }
    if (this.#ended) {
      // Abandoned while subscribing: nothing was started.
      this.#stopListening();
      return;
    }
    try {
      const record = await runStep(this.workspace, this.step, this.spec, this.id);
      this.#finish(record);
    } catch (error) {
      const failure = error as IpcError;
      if (failure.run_id) {
        try {
          const record = await runRecord(this.workspace, failure.run_id);
          this.record = record;
          this.turns = shownTurns(record.transcript.turns);
        } catch (readError) {
          this.recordError = readError as IpcError;
        }
      }
      this.#fail(failure);
    } finally {
      this.#stopListening();
    }
  }

  /** Applies one event of this run. */
  apply(event: StepRunEventKind): void {
    if (this.phase === 'starting') this.phase = 'running';
    switch (event.kind) {
      case 'round_started':
        this.turns.push(this.#newTurn(event.round));
        break;
      case 'text':
        this.#currentTurn().text += event.delta;
        break;
      case 'call_requested':
        this.#currentTurn().calls.push({
          id: event.id,
          name: event.name,
          connector: event.connector,
          tool: event.tool,
          arguments: event.arguments,
          approval: null,
          record: null,
        });
        break;
      case 'approval_needed': {
        const approval: PendingApproval = {
          requestId: event.request_id,
          connector: event.connector,
          tool: event.tool,
          arguments: event.arguments,
          readOnly: event.read_only,
          destructive: event.destructive,
          answer: null,
        };
        // Rust asks right after announcing the call, before the next one: the latest call of
        // that tool still without an answer is the one.
        const call = this.#currentTurn()
          .calls.filter(
            (candidate) =>
              candidate.connector === event.connector &&
              candidate.tool === event.tool &&
              candidate.approval === null &&
              candidate.record === null,
          )
          .at(-1);
        if (call) {
          call.approval = approval;
        } else {
          this.#currentTurn().calls.push({
            id: event.request_id,
            name: `${event.connector}.${event.tool}`,
            connector: event.connector,
            tool: event.tool,
            arguments: event.arguments,
            approval,
            record: null,
          });
        }
        break;
      }
      case 'call_finished': {
        const call = this.#findCall(event.call.id);
        if (call) call.record = event.call;
        else this.#currentTurn().calls.push(callFromRecord(event.call));
        break;
      }
      case 'turn_finished': {
        // The turn as it counts: text streamed before tool calls is not part of it.
        const turn = this.#currentTurn();
        turn.turn = event.turn;
        turn.round = event.turn.round;
        turn.text = event.turn.text;
        turn.calls = event.turn.calls.map((record) => {
          const shown = turn.calls.find((call) => call.id === record.id);
          return shown ? { ...shown, record } : callFromRecord(record);
        });
        break;
      }
    }
  }

  /** Sends the person's answer to the approval on `call`. */
  async answer(call: ShownCall, answer: ApprovalAnswer): Promise<void> {
    const approval = call.approval;
    if (!approval || approval.answer !== null || !this.active) return;
    approval.answer = answer;
    this.actionError = null;
    try {
      await answerApproval(this.id, approval.requestId, answer);
    } catch (error) {
      approval.answer = null;
      this.actionError = error as IpcError;
    }
  }

  async cancel(): Promise<void> {
    if (!this.active || this.cancelling) return;
    this.cancelling = true;
    this.actionError = null;
    try {
      await cancelRun(this.id);
    } catch (error) {
      this.cancelling = false;
      this.actionError = error as IpcError;
    }
  }

  /** The page went away mid-run: stop the run rather than leave it waiting for nobody. */
  abandon(): void {
    if (this.active) void cancelRun(this.id).catch(() => {
      // The run may have ended meanwhile; nothing is left to stop.
    });
    this.#ended = true;
    this.#stopListening();
  }

  #newTurn(round: number): ShownTurn {
    return { key: `live-${this.#turnKey++}`, round, text: '', calls: [], turn: null };
  }

  /** The turn events apply to; a finished turn is never written again. */
  #currentTurn(): ShownTurn {
    const last = this.turns[this.turns.length - 1];
    if (last && last.turn === null) return last;
    this.turns.push(this.#newTurn(last ? last.round + 1 : 1));
    return this.turns[this.turns.length - 1] as ShownTurn;
  }

  #findCall(id: string): ShownCall | undefined {
    for (let index = this.turns.length - 1; index >= 0; index--) {
      const call = this.turns[index]?.calls.find((candidate) => candidate.id === id);
      if (call) return call;
    }
    return undefined;
  }

  #finish(record: RunRecord) {
    this.record = record;
    this.turns = shownTurns(record.transcript.turns);
    this.phase = 'finished';
    this.cancelling = false;
    this.#ended = true;
  }

  #fail(error: IpcError) {
    this.error = error;
    this.phase = 'failed';
    this.cancelling = false;
    this.#ended = true;
  }

  #stopListening() {
    this.#unlisten?.();
    this.#unlisten = null;
  }
}

function callFromRecord(record: CallRecord): ShownCall {
  return {
    id: record.id,
    name: record.name,
    connector: record.connector,
    tool: record.tool,
    arguments: record.arguments,
    approval: null,
    record,
  };
}
