// A tool's input schema as a form, and as a readable list of parameters. `formOf` turns the
// schema into fields (text, choice, number, boolean, a list of plain values, a multiple choice,
// a nested object) or says in one clause why a form cannot show it, so the playground falls back
// to raw JSON. `initialValues` fills in the schema's defaults; `collect` checks what the person
// entered and builds the arguments, or names what is wrong field by field (nothing is sent while
// anything is). `valuesFrom` goes back from JSON arguments to the form. `parametersOf` lists a
// schema for reading, whatever it uses. Pure: no DOM, no IPC.

type Json = Record<string, unknown>;

/** One choice of an `enum` (any JSON value), shown by its label. */
export interface Option {
  value: unknown;
  label: string;
}

interface Common {
  /** The property's name in its object. */
  name: string;
  /** The names from the root to this field. */
  path: string[];
  label: string;
  description: string | null;
  required: boolean;
  /** The schema's `default`, if any. */
  fallback: unknown;
}

export type TextField = Common & {
  kind: 'text';
  format: string | null;
  minLength: number | null;
  maxLength: number | null;
  pattern: string | null;
};

export type NumberField = Common & {
  kind: 'number';
  integer: boolean;
  minimum: number | null;
  maximum: number | null;
  exclusiveMinimum: number | null;
  exclusiveMaximum: number | null;
};

export type ListField = Common & {
  kind: 'list';
  /** Each line is one item of this type. */
  item: 'string' | 'number' | 'integer';
  minItems: number | null;
  maxItems: number | null;
};

export type Field =
  | TextField
  | NumberField
  | (Common & { kind: 'choice'; options: Option[] })
  | (Common & { kind: 'boolean' })
  | ListField
  | (Common & {
      kind: 'multi';
      options: Option[];
      minItems: number | null;
      maxItems: number | null;
    })
  | (Common & { kind: 'object'; fields: Field[] });

/**
 * What a field holds while the person edits: text (text, numbers, one list item per line), the
 * index of a choice as text ('' for none), a flag, the indexes of chosen options, or the values
 * of a nested object.
 */
export type Value = string | boolean | string[] | Values;
export interface Values {
  [name: string]: Value;
}

/** The form of a schema, or why there is none (a clause: "“filter” can take …"). */
export type Form = { fields: Field[]; unsupported: null } | { fields: null; unsupported: string };

/** Problems by field, keyed by `fieldKey`. */
export type Problems = Record<string, string>;

export type Collected = { arguments: Record<string, unknown> } | { problems: Problems };

/** How deep nested objects and `$ref`s may go before the form gives up (a recursive schema). */
const MAX_DEPTH = 8;

const SHAPE_KEYWORDS = ['oneOf', 'anyOf', 'allOf'] as const;
const UNSUPPORTED_KEYWORDS = ['patternProperties', 'if', 'not', 'dependentSchemas'] as const;

function object(value: unknown): Json | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Json)
    : null;
}

function numberOf(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function textOf(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** A stable key for a field's path (names may hold any character, so not a plain join). */
export function fieldKey(path: string[]): string {
  return JSON.stringify(path);
}

class Unsupported extends Error {}

function quoted(path: string[]): string {
  return `“${path.join('.')}”`;
}

/**
 * Follows a local `$ref` (`#/$defs/…`, `#/definitions/…`, any JSON pointer into the root);
 * merges the referring schema's own keywords (a title, a description) over the target.
 */
function resolve(schema: Json, root: Json, path: string[], depth = 0): Json {
  const ref = textOf(schema.$ref);
  if (ref === null) return schema;
  if (depth > MAX_DEPTH) throw new Unsupported(`${quoted(path)} refers to itself`);
  if (!ref.startsWith('#')) {
    throw new Unsupported(`${quoted(path)} refers to another document ($ref)`);
  }
  let target: unknown = root;
  for (const raw of ref
    .slice(1)
    .split('/')
    .filter((part) => part !== '')) {
    const part = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    target = object(target)?.[part];
  }
  const found = object(target);
  if (!found) throw new Unsupported(`${quoted(path)} refers to a definition that is missing`);
  const { $ref: _ref, ...own } = schema;
  return resolve({ ...found, ...own }, root, path, depth + 1);
}

/**
 * The one type a property takes, seeing through the usual "or null" of optional values
 * (`type: ["string", "null"]`, `anyOf: [{type: "string"}, {type: "null"}]`); null when the
 * schema names no type.
 */
function singleType(
  schema: Json,
  root: Json,
  path: string[],
): { schema: Json; type: string | null } {
  for (const keyword of SHAPE_KEYWORDS) {
    const entries = schema[keyword];
    if (!Array.isArray(entries)) continue;
    const branches = entries
      .map((entry) => object(entry))
      .filter((entry): entry is Json => entry !== null)
      .map((entry) => resolve(entry, root, path));
    const real = branches.filter((branch) => branch.type !== 'null');
    const only = real[0];
    if (keyword !== 'allOf' && real.length === 1 && only && branches.length === 2) {
      const { [keyword]: _shapes, ...rest } = schema;
      return singleType({ ...only, ...rest }, root, path);
    }
    throw new Unsupported(`${quoted(path)} can take one of several shapes (${keyword})`);
  }
  const type = schema.type;
  if (Array.isArray(type)) {
    const real = type.filter((entry) => entry !== 'null');
    if (real.length === 1 && typeof real[0] === 'string') return { schema, type: real[0] };
    throw new Unsupported(`${quoted(path)} can be of several types (${type.join(', ')})`);
  }
  return { schema, type: textOf(type) };
}

function optionsOf(schema: Json): Option[] | null {
  if (Array.isArray(schema.enum)) {
    const names = Array.isArray(schema.enumNames) ? schema.enumNames : [];
    return schema.enum.map((value, index) => ({
      value,
      label: textOf(names[index]) ?? (typeof value === 'string' ? value : JSON.stringify(value)),
    }));
  }
  if ('const' in schema) {
    const value = schema.const;
    return [{ value, label: typeof value === 'string' ? value : JSON.stringify(value) }];
  }
  return null;
}

function fieldOf(
  name: string,
  raw: unknown,
  required: boolean,
  parent: string[],
  root: Json,
  depth: number,
): Field {
  const path = [...parent, name];
  const declared = object(raw);
  if (!declared) {
    if (raw === true) throw new Unsupported(`${quoted(path)} accepts any JSON value`);
    throw new Unsupported(`${quoted(path)} has a schema the form can’t read`);
  }
  for (const keyword of UNSUPPORTED_KEYWORDS) {
    if (keyword in declared) throw new Unsupported(`${quoted(path)} uses ${keyword}`);
  }
  const { schema, type } = singleType(resolve(declared, root, path), root, path);
  const common: Common = {
    name,
    path,
    label: textOf(schema.title) ?? name,
    description: textOf(schema.description),
    required,
    fallback: schema.default,
  };
  const options = optionsOf(schema);
  if (options) {
    if (type === 'array' || type === 'object') {
      throw new Unsupported(`${quoted(path)} chooses among lists or objects`);
    }
    return { ...common, kind: 'choice', options };
  }
  switch (type) {
    case 'string':
      return {
        ...common,
        kind: 'text',
        format: textOf(schema.format),
        minLength: numberOf(schema.minLength),
        maxLength: numberOf(schema.maxLength),
        pattern: textOf(schema.pattern),
      };
    case 'number':
    case 'integer': {
      // Draft 4 wrote an exclusive bound as a flag beside minimum or maximum.
      const minimum = numberOf(schema.minimum);
      const maximum = numberOf(schema.maximum);
      const exclusiveMinimum =
        schema.exclusiveMinimum === true ? minimum : numberOf(schema.exclusiveMinimum);
      const exclusiveMaximum =
        schema.exclusiveMaximum === true ? maximum : numberOf(schema.exclusiveMaximum);
      return {
        ...common,
        kind: 'number',
        integer: type === 'integer',
        minimum: schema.exclusiveMinimum === true ? null : minimum,
        maximum: schema.exclusiveMaximum === true ? null : maximum,
        exclusiveMinimum,
        exclusiveMaximum,
      };
    }
    case 'boolean':
      return { ...common, kind: 'boolean' };
    case 'array':
      return listOf(common, schema, root, path);
    case 'object':
      return { ...common, kind: 'object', fields: fieldsIn(schema, root, path, depth + 1) };
    case null:
      if (object(schema.properties)) {
        return { ...common, kind: 'object', fields: fieldsIn(schema, root, path, depth + 1) };
      }
      throw new Unsupported(`${quoted(path)} accepts any JSON value (no type)`);
    default:
      throw new Unsupported(`${quoted(path)} is of type ${type}`);
  }
}

function listOf(common: Common, schema: Json, root: Json, path: string[]): Field {
  const minItems = numberOf(schema.minItems);
  const maxItems = numberOf(schema.maxItems);
  if (Array.isArray(schema.items) || 'prefixItems' in schema) {
    throw new Unsupported(`${quoted(path)} is a list with a fixed shape (tuple)`);
  }
  const rawItems = object(schema.items);
  if (!rawItems) throw new Unsupported(`${quoted(path)} is a list of any JSON values`);
  const { schema: items, type } = singleType(resolve(rawItems, root, path), root, path);
  const options = optionsOf(items);
  if (options) return { ...common, kind: 'multi', options, minItems, maxItems };
  if (type === 'string' || type === 'number' || type === 'integer') {
    return { ...common, kind: 'list', item: type, minItems, maxItems };
  }
  if (type === 'object' || (type === null && object(items.properties))) {
    throw new Unsupported(`${quoted(path)} is a list of objects`);
  }
  if (type === 'array') throw new Unsupported(`${quoted(path)} is a list of lists`);
  throw new Unsupported(`${quoted(path)} is a list of ${type ?? 'any JSON values'}`);
}

function fieldsIn(schema: Json, rootSchema: Json, parent: string[], depth: number): Field[] {
  if (depth > MAX_DEPTH) throw new Unsupported(`${quoted(parent)} nests too deeply`);
  const root = parent.length === 0;
  const where = root ? 'the arguments' : quoted(parent);
  for (const keyword of [...SHAPE_KEYWORDS, ...UNSUPPORTED_KEYWORDS]) {
    if (keyword in schema) {
      throw new Unsupported(
        SHAPE_KEYWORDS.includes(keyword as (typeof SHAPE_KEYWORDS)[number])
          ? `${where} can take one of several shapes (${keyword})`
          : `${where} ${root ? 'use' : 'uses'} ${keyword}`,
      );
    }
  }
  const properties = object(schema.properties) ?? {};
  const extra = object(schema.additionalProperties);
  if (Object.keys(properties).length === 0 && extra && Object.keys(extra).length > 0) {
    throw new Unsupported(
      `${where} ${root ? 'take' : 'takes'} names of your choosing (additionalProperties)`,
    );
  }
  const required = Array.isArray(schema.required) ? schema.required : [];
  return Object.entries(properties).map(([name, raw]) =>
    fieldOf(name, raw, required.includes(name), parent, rootSchema, depth),
  );
}

/** The form for a tool's input schema, or why a form cannot show it. */
export function formOf(schema: unknown): Form {
  const root = object(schema);
  if (!root) return { fields: null, unsupported: 'the input schema is not a JSON object' };
  try {
    const resolved = resolve(root, root, []);
    const type = resolved.type;
    if (type !== undefined && type !== 'object') {
      return { fields: null, unsupported: 'the arguments are not an object of named values' };
    }
    return { fields: fieldsIn(resolved, root, [], 0), unsupported: null };
  } catch (error) {
    if (error instanceof Unsupported) return { fields: null, unsupported: error.message };
    throw error;
  }
}

/** Each field's starting value: the schema's default where it declares one that fits. */
export function initialValues(fields: Field[]): Values {
  const values: Values = {};
  for (const field of fields) values[field.name] = initialValue(field, field.fallback);
  return values;
}

function initialValue(field: Field, fallback: unknown): Value {
  switch (field.kind) {
    case 'boolean':
      return fallback === true;
    case 'number':
      return numberOf(fallback)?.toString() ?? '';
    case 'text':
      return textOf(fallback) ?? '';
    case 'choice': {
      const index = field.options.findIndex((option) => sameJson(option.value, fallback));
      return index === -1 || fallback === undefined ? '' : String(index);
    }
    case 'multi':
      return Array.isArray(fallback)
        ? field.options.flatMap((option, index) =>
            fallback.some((item) => sameJson(item, option.value)) ? [String(index)] : [],
          )
        : [];
    case 'list':
      return Array.isArray(fallback) ? fallback.map((item) => String(item)).join('\n') : '';
    case 'object': {
      const given = object(fallback) ?? {};
      const values: Values = {};
      for (const child of field.fields) {
        values[child.name] = initialValue(
          child,
          child.name in given ? given[child.name] : child.fallback,
        );
      }
      return values;
    }
  }
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The lines of a list field, trimmed, blank ones dropped. */
export function listItems(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

function plural(count: number, one: string): string {
  return `${count} ${count === 1 ? one : `${one}s`}`;
}

function checkText(field: TextField, text: string): string | null {
  if (field.minLength !== null && text.length < field.minLength) {
    return `Enter at least ${plural(field.minLength, 'character')}.`;
  }
  if (field.maxLength !== null && text.length > field.maxLength) {
    return `Enter at most ${plural(field.maxLength, 'character')}.`;
  }
  if (field.pattern !== null) {
    let pattern: RegExp | null = null;
    try {
      pattern = new RegExp(field.pattern, 'u');
    } catch {
      // A pattern JavaScript cannot read is the server's to check.
    }
    if (pattern && !pattern.test(text)) return `Must match the pattern ${field.pattern}.`;
  }
  return null;
}

/** The number in `text`, or what is wrong with it. */
export function checkNumber(
  field: Pick<
    NumberField,
    'integer' | 'minimum' | 'maximum' | 'exclusiveMinimum' | 'exclusiveMaximum'
  >,
  text: string,
): { value: number } | { problem: string } {
  const trimmed = text.trim();
  const value = Number(trimmed);
  if (trimmed === '' || !Number.isFinite(value)) return { problem: 'Enter a number.' };
  if (field.integer && !Number.isInteger(value)) return { problem: 'Enter a whole number.' };
  if (field.minimum !== null && value < field.minimum) {
    return { problem: `Must be at least ${field.minimum}.` };
  }
  if (field.maximum !== null && value > field.maximum) {
    return { problem: `Must be at most ${field.maximum}.` };
  }
  if (field.exclusiveMinimum !== null && value <= field.exclusiveMinimum) {
    return { problem: `Must be more than ${field.exclusiveMinimum}.` };
  }
  if (field.exclusiveMaximum !== null && value >= field.exclusiveMaximum) {
    return { problem: `Must be less than ${field.exclusiveMaximum}.` };
  }
  return { value };
}

function countProblem(
  field: { minItems: number | null; maxItems: number | null },
  count: number,
  noun: string,
): string | null {
  if (field.minItems !== null && count < field.minItems) {
    return `${noun} at least ${plural(field.minItems, 'item')}.`;
  }
  if (field.maxItems !== null && count > field.maxItems) {
    return `${noun} at most ${plural(field.maxItems, 'item')}.`;
  }
  return null;
}

/** Whether the person left a field as it started empty (optional ones are then left out). */
function isEmpty(field: Field, value: Value | undefined): boolean {
  switch (field.kind) {
    case 'boolean':
      return value === (field.fallback === true);
    case 'multi':
      return !Array.isArray(value) || value.length === 0;
    case 'object': {
      const values = isValues(value) ? value : {};
      return field.fields.every((child) => isEmpty(child, values[child.name]));
    }
    case 'list':
      return typeof value !== 'string' || listItems(value).length === 0;
    default:
      return typeof value !== 'string' || value.trim() === '';
  }
}

function isValues(value: Value | undefined): value is Values {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The arguments to send, typed as the schema says, or what is wrong with each field. An empty
 * optional field is left out (an optional flag is sent only when it differs from its default);
 * an empty required one is a problem, except a list, which is sent empty.
 */
export function collect(fields: Field[], values: Values): Collected {
  const problems: Problems = {};
  const result = collectInto(fields, values, problems, false);
  return Object.keys(problems).length > 0 ? { problems } : { arguments: result };
}

/** The arguments so far, leaving out what is wrong (to start the JSON editor from the form). */
export function draftArguments(fields: Field[], values: Values): Record<string, unknown> {
  return collectInto(fields, values, {}, true);
}

function collectInto(
  fields: Field[],
  values: Values,
  problems: Problems,
  lenient: boolean,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const value = values[field.name];
    const key = fieldKey(field.path);
    if (!field.required && isEmpty(field, value)) continue;
    const problem = (message: string) => {
      if (!lenient) problems[key] = message;
    };
    switch (field.kind) {
      case 'boolean':
        out[field.name] = value === true;
        break;
      case 'object': {
        out[field.name] = collectInto(
          field.fields,
          isValues(value) ? value : {},
          problems,
          lenient,
        );
        break;
      }
      case 'multi': {
        const chosen = (Array.isArray(value) ? value : [])
          .map((index) => field.options[Number(index)])
          .filter((option): option is Option => option !== undefined);
        const wrong = countProblem(field, chosen.length, 'Choose');
        if (wrong) problem(wrong);
        else out[field.name] = chosen.map((option) => option.value);
        break;
      }
      case 'list': {
        const items = listItems(typeof value === 'string' ? value : '');
        const typed: unknown[] = [];
        let wrong: string | null = null;
        for (const [index, item] of items.entries()) {
          if (field.item === 'string') {
            typed.push(item);
            continue;
          }
          const checked = checkNumber(
            {
              integer: field.item === 'integer',
              minimum: null,
              maximum: null,
              exclusiveMinimum: null,
              exclusiveMaximum: null,
            },
            item,
          );
          if ('problem' in checked) {
            wrong = `Line ${index + 1} is not ${field.item === 'integer' ? 'a whole number' : 'a number'}.`;
            break;
          }
          typed.push(checked.value);
        }
        wrong ??= countProblem(field, typed.length, 'Enter');
        if (wrong) problem(wrong);
        else out[field.name] = typed;
        break;
      }
      case 'choice': {
        const option =
          typeof value === 'string' && value !== '' ? field.options[Number(value)] : undefined;
        if (!option) problem('Choose one.');
        else out[field.name] = option.value;
        break;
      }
      case 'number': {
        const text = typeof value === 'string' ? value : '';
        if (text.trim() === '') {
          problem('Required.');
          break;
        }
        const checked = checkNumber(field, text);
        if ('problem' in checked) problem(checked.problem);
        else out[field.name] = checked.value;
        break;
      }
      case 'text': {
        const text = typeof value === 'string' ? value : '';
        if (text.trim() === '') {
          problem('Required.');
          break;
        }
        const wrong = checkText(field, text);
        if (wrong) problem(wrong);
        else out[field.name] = text;
        break;
      }
    }
  }
  return out;
}

/**
 * The form's values for JSON arguments, or why the form cannot hold them (a name it has no field
 * for, a value of another type).
 */
export function valuesFrom(
  fields: Field[],
  data: Record<string, unknown>,
): { values: Values } | { problem: string } {
  try {
    return { values: valuesIn(fields, data, []) };
  } catch (error) {
    if (error instanceof Unsupported) return { problem: error.message };
    throw error;
  }
}

function valuesIn(fields: Field[], data: Record<string, unknown>, parent: string[]): Values {
  const known = new Set(fields.map((field) => field.name));
  const stray = Object.keys(data).find((name) => !known.has(name));
  if (stray !== undefined) {
    throw new Unsupported(`the form has no field for ${quoted([...parent, stray])}`);
  }
  const values: Values = {};
  for (const field of fields) {
    if (!(field.name in data)) {
      values[field.name] = initialValue(field, undefined);
      continue;
    }
    const value = data[field.name];
    const wrong = () => new Unsupported(`${quoted(field.path)} does not fit its field`);
    switch (field.kind) {
      case 'boolean':
        if (typeof value !== 'boolean') throw wrong();
        values[field.name] = value;
        break;
      case 'text':
        if (typeof value !== 'string') throw wrong();
        values[field.name] = value;
        break;
      case 'number':
        if (numberOf(value) === null) throw wrong();
        values[field.name] = String(value);
        break;
      case 'choice': {
        const index = field.options.findIndex((option) => sameJson(option.value, value));
        if (index === -1) throw wrong();
        values[field.name] = String(index);
        break;
      }
      case 'multi': {
        if (!Array.isArray(value)) throw wrong();
        const indexes = value.map((item) =>
          field.options.findIndex((option) => sameJson(option.value, item)),
        );
        if (indexes.includes(-1)) throw wrong();
        values[field.name] = indexes.map(String);
        break;
      }
      case 'list': {
        const fits = (item: unknown) =>
          field.item === 'string'
            ? typeof item === 'string' &&
              !item.includes('\n') &&
              item.trim() === item &&
              item !== ''
            : numberOf(item) !== null;
        if (!Array.isArray(value) || !value.every(fits)) throw wrong();
        values[field.name] = value.map(String).join('\n');
        break;
      }
      case 'object': {
        const nested = object(value);
        if (!nested) throw wrong();
        values[field.name] = valuesIn(field.fields, nested, field.path);
        break;
      }
    }
  }
  return values;
}

/** One row of a schema's readable list of parameters. */
export interface Parameter {
  /** The path from the root (`address.city`; list items as `tags[]`). */
  path: string[];
  name: string;
  depth: number;
  type: string;
  required: boolean;
  description: string | null;
  /** The allowed values, as JSON text, when the schema lists them. */
  values: string[] | null;
  /** Bounds, format, pattern and default in words ("at least 1", "default 10"). */
  notes: string[];
}

/** A schema's parameters, nested ones after their parent, for reading (any schema). */
export function parametersOf(schema: unknown): Parameter[] {
  const root = object(schema);
  if (!root) return [];
  const rows: Parameter[] = [];
  describeObject(safeResolve(root, root), root, [], 0, rows, new Set());
  return rows;
}

function safeResolve(schema: Json, root: Json): Json {
  try {
    return resolve(schema, root, []);
  } catch {
    return schema;
  }
}

function describeObject(
  schema: Json,
  root: Json,
  parent: string[],
  depth: number,
  rows: Parameter[],
  seen: Set<Json>,
) {
  if (depth > MAX_DEPTH || seen.has(schema)) return;
  const properties = object(schema.properties) ?? {};
  const required = Array.isArray(schema.required) ? schema.required : [];
  for (const [name, raw] of Object.entries(properties)) {
    const declared = object(raw) ?? {};
    const property = safeResolve(declared, root);
    const path = [...parent, name];
    rows.push({
      path,
      name,
      depth,
      type: typeLabel(property, root),
      required: required.includes(name),
      description: textOf(property.description),
      values: valuesOf(property, root),
      notes: notesOf(property),
    });
    const next = new Set(seen).add(schema);
    if (object(property.properties)) describeObject(property, root, path, depth + 1, rows, next);
    const items = object(property.items);
    if (items) {
      const item = safeResolve(items, root);
      if (object(item.properties)) {
        describeObject(item, root, [...parent, `${name}[]`], depth + 1, rows, next);
      }
    }
  }
}

/** "string", "integer | null", "array of string", "one of: string, object", "Address". */
export function typeLabel(schema: Json, root: Json): string {
  for (const keyword of SHAPE_KEYWORDS) {
    const entries = schema[keyword];
    if (!Array.isArray(entries)) continue;
    const labels = entries
      .map((entry) => object(entry))
      .filter((entry): entry is Json => entry !== null)
      .map((entry) => typeLabel(safeResolve(entry, root), root));
    const joiner = keyword === 'allOf' ? ' & ' : ' | ';
    return labels.length > 0 ? labels.join(joiner) : keyword;
  }
  const ref = textOf(schema.$ref);
  if (ref !== null) return ref.split('/').pop() ?? ref;
  const type = schema.type;
  const named = Array.isArray(type) ? type.join(' | ') : textOf(type);
  if (named === 'array') {
    const items = object(schema.items);
    return items ? `array of ${typeLabel(safeResolve(items, root), root)}` : 'array';
  }
  if (named) return named;
  if (Array.isArray(schema.enum)) return 'enum';
  if ('const' in schema) return 'constant';
  if (object(schema.properties)) return 'object';
  return 'any';
}

function valuesOf(schema: Json, root: Json): string[] | null {
  const options = optionsOf(schema);
  if (options) return options.map((option) => JSON.stringify(option.value));
  const items = object(schema.items);
  if (items) {
    const itemOptions = optionsOf(safeResolve(items, root));
    if (itemOptions) return itemOptions.map((option) => JSON.stringify(option.value));
  }
  return null;
}

function notesOf(schema: Json): string[] {
  const notes: string[] = [];
  const bound = (key: string, words: string) => {
    const value = numberOf(schema[key]);
    if (value !== null) notes.push(`${words} ${value}`);
  };
  bound('minimum', 'at least');
  bound('exclusiveMinimum', 'more than');
  bound('maximum', 'at most');
  bound('exclusiveMaximum', 'less than');
  bound('minLength', 'min length');
  bound('maxLength', 'max length');
  bound('minItems', 'min items');
  bound('maxItems', 'max items');
  const format = textOf(schema.format);
  if (format) notes.push(`format ${format}`);
  const pattern = textOf(schema.pattern);
  if (pattern) notes.push(`pattern ${pattern}`);
  if ('default' in schema) notes.push(`default ${JSON.stringify(schema.default)}`);
  return notes;
}
