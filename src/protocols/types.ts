/**
 * The protocol layer: one folder per wire format (`openai/`, `oip-v2/`, `tf-serving/`, `predict/`),
 * each holding its zod wire schemas and BOTH directions of every task it carries. Client providers
 * (`src/providers/*`) call the client half, `@mlkit/server` the server half, so a wire shape is
 * written once. Mappings are plain functions over plain values: they throw core errors
 * (`InvalidInputError` with `issues[].path` naming the wire field, `UnsupportedError`,
 * `ResponseValidationError`), never HTTP types; the server turns errors into answers in one place.
 */
import type { Capabilities } from '../model.ts';
import type { TaskName } from '../tasks/index.ts';
import type { InputOf, OutputOf, ParsedInputOf, Task } from '../tasks/task.ts';

/** What the server half knows about the model it serves. */
export interface ServedModel {
  /** The name clients address it by (`modelName` on the wire). */
  readonly modelName: string;
  readonly task: TaskName;
  readonly capabilities: Capabilities;
}

/**
 * One task over one wire format, both directions. `Context` is what the wire needs besides the
 * payload (the model name, OIP metadata, a predict mapping...). A round-trip test per mapping keeps
 * the two halves honest: `decodeRequest(encodeRequest(x)) ≈ x` and
 * `decodeResponse(encodeResponse(y)) ≈ y`.
 */
export interface TaskMapping<T extends Task, WireRequest, WireResponse, Context = void> {
  /** Client: the task's (validated) input as the request body. */
  encodeRequest(input: ParsedInputOf<T>, context: Context): WireRequest;
  /** Server: a request body (already schema-checked) as the task's input; refuses what the task cannot do. */
  decodeRequest(body: WireRequest, context: Context): InputOf<T>;
  /** Server: the task's output as the response body. */
  encodeResponse(output: OutputOf<T>, context: Context): WireResponse;
  /** Client: a response body (already schema-checked) as the task's output. */
  decodeResponse(body: WireResponse, context: Context): OutputOf<T>;
}

/** A wire format: its name and the tasks it carries, as a table (adding a task adds a row, not a switch). */
export interface Protocol<
  Mappings extends Partial<Record<TaskName, unknown>> = Partial<Record<TaskName, unknown>>,
> {
  readonly name: string;
  readonly tasks: Mappings;
}
