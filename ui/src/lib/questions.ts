// The form a server's question asks for (MCP elicitation): its requested schema is a flat object
// of strings (with length bounds and formats), numbers and integers (with bounds), booleans,
// single choices (`enum` with optional `enumNames`, or `oneOf` of `const`/`title`) and multiple
// choices (an array of such items). `fieldsOf` reads it, `initialValues` fills in the defaults
// the schema declares, and `collect` checks what the person typed and turns it into the typed
// answer the server expects — or names what is wrong, field by field. Nothing else is sent.

export interface Option {
  value: string;
  label: string;
}

interface Common {
  name: string;
  label: string;
  description: string | null;
  required: boolean;
}

export type Field =
  | (Common & {
      kind: 'text';
      format: string | null;
      minLength: number | null;
      maxLength: number | null;
    })
  | (Common & { kind: 'number'; integer: boolean; minimum: number | null; maximum: number | null })
  | (Common & { kind: 'boolean' })
  | (Common & { kind: 'choice'; options: Option[] })
  | (Common & { kind: 'multi'; options: Option[]; minItems: number | null; maxItems: number | null });

/** What a field holds while the person edits: text for text and numbers, a flag, or choices. */
export type Value = string | boolean | string[];

type Json = Record<string, unknown>;

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

/** Choices from `enum` (+ `enumNames`) or from `oneOf`/`anyOf` entries of `const` and `title`. */
function options(schema: Json): Option[] | null {
  if (Array.isArray(schema.enum)) {
    const names = Array.isArray(schema.enumNames) ? schema.enumNames : [];
    return schema.enum
      .filter((value): value is string => typeof value === 'string')
      .map((value, index) => ({ value, label: textOf(names[index]) ?? value }));
  }
  const entries = Array.isArray(schema.oneOf)
    ? schema.oneOf
    : Array.isArray(schema.anyOf)
      ? schema.anyOf
      : null;
  if (!entries) return null;
  return entries.flatMap((entry) => {
    const choice = object(entry);
    const value = textOf(choice?.const);
    return value === null ? [] : [{ value, label: textOf(choice?.title) ?? value }];
  });
}

/** The fields of `schema`, in its order; properties of kinds a form cannot ask for are skipped. */
export function fieldsOf(schema: unknown): Field[] {
  const root = object(schema);
  const properties = object(root?.properties) ?? {};
  const required = Array.isArray(root?.required) ? root.required : [];
  return Object.entries(properties).flatMap(([name, raw]): Field[] => {
    const property = object(raw);
    if (!property) return [];
    const common: Common = {
      name,
      label: textOf(property.title) ?? name,
      description: textOf(property.description),
      required: required.includes(name),
    };
    switch (property.type) {
      case 'boolean':
        return [{ ...common, kind: 'boolean' }];
      case 'number':
      case 'integer':
        return [
          {
            ...common,
            kind: 'number',
            integer: property.type === 'integer',
            minimum: numberOf(property.minimum),
            maximum: numberOf(property.maximum),
          },
        ];
      case 'array': {
        const choices = options(object(property.items) ?? {});
        return choices
          ? [
              {
                ...common,
                kind: 'multi',
                options: choices,
                minItems: numberOf(property.minItems),
                maxItems: numberOf(property.maxItems),
              },
            ]
          : [];
      }
      case 'string':
      case undefined: {
        const choices = options(property);
        if (choices) return [{ ...common, kind: 'choice', options: choices }];
        if (property.type === undefined) return [];
        return [
          {
            ...common,
            kind: 'text',
            format: textOf(property.format),
            minLength: numberOf(property.minLength),
            maxLength: numberOf(property.maxLength),
          },
        ];
      }
      default:
        return [];
    }
  });
}

/** Each field's starting value: the schema's default where it declares one. */
export function initialValues(schema: unknown, fields: Field[]): Record<string, Value> {
  const properties = object(object(schema)?.properties) ?? {};
  const values: Record<string, Value> = {};
  for (const field of fields) {
    const fallback = object(properties[field.name])?.default;
    switch (field.kind) {
      case 'boolean':
        values[field.name] = fallback === true;
        break;
      case 'multi':
        values[field.name] = Array.isArray(fallback)
          ? fallback.filter((item): item is string => typeof item === 'string')
          : [];
        break;
      case 'number':
        values[field.name] = numberOf(fallback)?.toString() ?? '';
        break;
      default:
        values[field.name] = textOf(fallback) ?? '';
    }
  }
  return values;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function textProblem(field: Extract<Field, { kind: 'text' }>, text: string): string | null {
  if (field.minLength !== null && text.length < field.minLength)
    return `At least ${field.minLength} characters.`;
  if (field.maxLength !== null && text.length > field.maxLength)
    return `At most ${field.maxLength} characters.`;
  if (field.format === 'email' && !EMAIL.test(text)) return 'An email address, like ada@example.com.';
  if (field.format === 'uri' && !/^[a-z][a-z0-9+.-]*:\S+$/i.test(text))
    return 'A full address, like https://example.com.';
  if (field.format === 'date' && !/^\d{4}-\d{2}-\d{2}$/.test(text)) return 'A date, like 2026-12-31.';
  return null;
}

function numberProblem(
  field: Extract<Field, { kind: 'number' }>,
  text: string,
): { value: number } | { problem: string } {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) return { problem: 'A number.' };
  if (field.integer && !Number.isInteger(value)) return { problem: 'A whole number.' };
  if (field.minimum !== null && value < field.minimum)
    return { problem: `${field.minimum} or more.` };
  if (field.maximum !== null && value > field.maximum)
    return { problem: `${field.maximum} or less.` };
  return { value };
}

/**
 * The answer to send, typed as the schema says, or what is wrong with each field. An empty
 * optional field is left out; an empty required one is a problem.
 */
export function collect(
  fields: Field[],
  values: Record<string, Value>,
): { content: Record<string, unknown> } | { problems: Record<string, string> } {
  const content: Record<string, unknown> = {};
  const problems: Record<string, string> = {};
  for (const field of fields) {
    const value = values[field.name];
    if (field.kind === 'boolean') {
      content[field.name] = value === true;
      continue;
    }
    if (field.kind === 'multi') {
      const chosen = Array.isArray(value) ? value : [];
      if (chosen.length === 0 && !field.required) continue;
      if (field.minItems !== null && chosen.length < field.minItems)
        problems[field.name] = `Choose at least ${field.minItems}.`;
      else if (field.maxItems !== null && chosen.length > field.maxItems)
        problems[field.name] = `Choose at most ${field.maxItems}.`;
      else if (chosen.length === 0) problems[field.name] = 'Choose at least one.';
      else content[field.name] = chosen;
      continue;
    }
    const text = typeof value === 'string' ? value : '';
    if (text.trim() === '') {
      if (field.required) problems[field.name] = 'Required.';
      continue;
    }
    if (field.kind === 'number') {
      const checked = numberProblem(field, text);
      if ('problem' in checked) problems[field.name] = checked.problem;
      else content[field.name] = checked.value;
    } else if (field.kind === 'choice') {
      if (field.options.some((option) => option.value === text)) content[field.name] = text;
      else problems[field.name] = 'Choose one of the options.';
    } else {
      const problem = textProblem(field, text);
      if (problem) problems[field.name] = problem;
      else content[field.name] = text;
    }
  }
  return Object.keys(problems).length > 0 ? { problems } : { content };
}
