// The playground's form: which schemas it can show (and why not), defaults, checking and typing
// what the person entered, going back from JSON, and the readable parameter list.
import { describe, expect, it } from 'vitest';
import {
  collect,
  draftArguments,
  type Field,
  fieldKey,
  formOf,
  initialValues,
  parametersOf,
  type Values,
  valuesFrom,
} from './schema-form';

function fieldsOf(schema: unknown): Field[] {
  const form = formOf(schema);
  if (!form.fields) throw new Error(`no form: ${form.unsupported}`);
  return form.fields;
}

function problemsOf(fields: Field[], values: Values): Record<string, string> {
  const result = collect(fields, values);
  if (!('problems' in result)) throw new Error(`expected problems, got ${JSON.stringify(result)}`);
  return result.problems;
}

function argumentsOf(fields: Field[], values: Values): Record<string, unknown> {
  const result = collect(fields, values);
  if (!('arguments' in result)) throw new Error(`unexpected problems ${JSON.stringify(result)}`);
  return result.arguments;
}

const key = (...path: string[]) => fieldKey(path);

describe('formOf', () => {
  it('reads every kind of field it can show, in the schema’s order', () => {
    const fields = fieldsOf({
      type: 'object',
      properties: {
        query: {
          type: 'string',
          title: 'Search words',
          description: 'What to find.',
          minLength: 2,
        },
        state: { type: 'string', enum: ['open', 'closed'] },
        limit: { type: 'integer', minimum: 1, maximum: 100 },
        ratio: { type: 'number', exclusiveMinimum: 0 },
        drafts: { type: 'boolean' },
        tags: { type: 'array', items: { type: 'string' }, maxItems: 3 },
        ids: { type: 'array', items: { type: 'integer' } },
        colours: { type: 'array', items: { enum: ['red', 'green'] } },
        author: { type: 'object', properties: { login: { type: 'string' } }, required: ['login'] },
      },
      required: ['query', 'author'],
    });

    expect(fields.map((field) => [field.name, field.kind])).toEqual([
      ['query', 'text'],
      ['state', 'choice'],
      ['limit', 'number'],
      ['ratio', 'number'],
      ['drafts', 'boolean'],
      ['tags', 'list'],
      ['ids', 'list'],
      ['colours', 'multi'],
      ['author', 'object'],
    ]);
    const [query, state, limit, ratio, , tags, ids] = fields;
    expect(query).toMatchObject({
      label: 'Search words',
      description: 'What to find.',
      required: true,
      minLength: 2,
    });
    expect(state).toMatchObject({
      required: false,
      options: [
        { value: 'open', label: 'open' },
        { value: 'closed', label: 'closed' },
      ],
    });
    expect(limit).toMatchObject({ integer: true, minimum: 1, maximum: 100 });
    expect(ratio).toMatchObject({ integer: false, exclusiveMinimum: 0, minimum: null });
    expect(tags).toMatchObject({ item: 'string', maxItems: 3 });
    expect(ids).toMatchObject({ item: 'integer' });
    const author = fields[8];
    expect(
      author?.kind === 'object' && author.fields.map((f) => [f.name, f.required, f.path]),
    ).toEqual([['login', true, ['author', 'login']]]);
  });

  it('shows an empty form for a tool without arguments', () => {
    expect(formOf({ type: 'object', properties: {} })).toEqual({ fields: [], unsupported: null });
    expect(formOf({ type: 'object' })).toEqual({ fields: [], unsupported: null });
  });

  it('sees through "or null" and local $refs, the way generated schemas write optional values', () => {
    const fields = fieldsOf({
      type: 'object',
      $defs: { Owner: { type: 'object', properties: { name: { type: 'string' } } } },
      properties: {
        note: { anyOf: [{ type: 'string' }, { type: 'null' }], default: null, title: 'Note' },
        count: { type: ['integer', 'null'] },
        owner: { $ref: '#/$defs/Owner', description: 'Who owns it.' },
      },
    });
    expect(fields.map((field) => field.kind)).toEqual(['text', 'number', 'object']);
    expect(fields[0]?.label).toBe('Note');
    expect(fields[2]?.description).toBe('Who owns it.');
  });

  it.each([
    [
      { type: 'object', properties: { when: { anyOf: [{ type: 'string' }, { type: 'object' }] } } },
      '“when” can take one of several shapes (anyOf)',
    ],
    [
      { type: 'object', properties: { f: { oneOf: [{ type: 'string' }, { type: 'number' }] } } },
      '“f” can take one of several shapes (oneOf)',
    ],
    [
      { type: 'object', properties: { f: { allOf: [{ type: 'string' }] } } },
      '“f” can take one of several shapes (allOf)',
    ],
    [
      { type: 'object', properties: { f: { $ref: 'https://example.com/schema' } } },
      '“f” refers to another document ($ref)',
    ],
    [
      { type: 'object', properties: { f: { $ref: '#/$defs/Nope' } } },
      '“f” refers to a definition that is missing',
    ],
    [
      {
        type: 'object',
        properties: { items: { type: 'array', items: { type: 'object', properties: {} } } },
      },
      '“items” is a list of objects',
    ],
    [
      { type: 'object', properties: { grid: { type: 'array', items: { type: 'array' } } } },
      '“grid” is a list of lists',
    ],
    [
      { type: 'object', properties: { any: { type: 'array' } } },
      '“any” is a list of any JSON values',
    ],
    [
      {
        type: 'object',
        properties: { meta: { type: 'object', additionalProperties: { type: 'string' } } },
      },
      '“meta” takes names of your choosing (additionalProperties)',
    ],
    [
      { type: 'object', patternProperties: { '^x-': { type: 'string' } } },
      'the arguments use patternProperties',
    ],
    [
      { type: 'object', properties: { meta: { type: 'object', patternProperties: {} } } },
      '“meta” uses patternProperties',
    ],
    [
      { type: 'object', additionalProperties: { type: 'number' } },
      'the arguments take names of your choosing (additionalProperties)',
    ],
    [{ type: 'object', properties: { v: {} } }, '“v” accepts any JSON value (no type)'],
    [
      { type: 'object', properties: { v: { type: ['string', 'number'] } } },
      '“v” can be of several types (string, number)',
    ],
    [
      { type: 'object', oneOf: [{ required: ['a'] }, { required: ['b'] }] },
      'the arguments can take one of several shapes (oneOf)',
    ],
    [{ type: 'array' }, 'the arguments are not an object of named values'],
    ['nonsense', 'the input schema is not a JSON object'],
  ])('falls back to JSON and says why: %j', (schema, reason) => {
    expect(formOf(schema)).toEqual({ fields: null, unsupported: reason });
  });

  it('gives up on a schema that refers to itself', () => {
    const form = formOf({
      type: 'object',
      $defs: { Node: { type: 'object', properties: { child: { $ref: '#/$defs/Node' } } } },
      properties: { root: { $ref: '#/$defs/Node' } },
    });
    expect(form.fields).toBeNull();
    expect(form.unsupported).toMatch(/nests too deeply|refers to itself/);
  });
});

describe('initialValues', () => {
  it('starts from the schema’s defaults', () => {
    const fields = fieldsOf({
      type: 'object',
      properties: {
        state: { type: 'string', enum: ['open', 'closed'], default: 'closed' },
        limit: { type: 'integer', default: 20 },
        drafts: { type: 'boolean', default: true },
        tags: { type: 'array', items: { type: 'string' }, default: ['a', 'b'] },
        colours: { type: 'array', items: { enum: ['red', 'green', 'blue'] }, default: ['blue'] },
        name: { type: 'string' },
        author: { type: 'object', properties: { login: { type: 'string', default: 'ada' } } },
      },
    });
    expect(initialValues(fields)).toEqual({
      state: '1',
      limit: '20',
      drafts: true,
      tags: 'a\nb',
      colours: ['2'],
      name: '',
      author: { login: 'ada' },
    });
  });
});

describe('collect', () => {
  const schema = {
    type: 'object',
    properties: {
      query: { type: 'string', minLength: 2, maxLength: 5 },
      code: { type: 'string', pattern: '^[A-Z]+$' },
      limit: { type: 'integer', minimum: 1, maximum: 100 },
      ratio: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
      state: { enum: ['open', 'closed', 3] },
      drafts: { type: 'boolean' },
      tags: { type: 'array', items: { type: 'string' } },
      ids: { type: 'array', items: { type: 'integer' }, minItems: 2 },
      author: {
        type: 'object',
        properties: { login: { type: 'string' }, team: { type: 'string' } },
        required: ['login'],
      },
    },
    required: ['query', 'limit'],
  };
  const fields = fieldsOf(schema);

  it('names every required field left empty, at the field, and sends nothing', () => {
    expect(problemsOf(fields, initialValues(fields))).toEqual({
      [key('query')]: 'Required.',
      [key('limit')]: 'Required.',
    });
    expect(problemsOf(fields, { ...initialValues(fields), query: '   ', limit: '5' })).toEqual({
      [key('query')]: 'Required.',
    });
  });

  it('checks numbers: not a number, a whole number expected, and the bounds', () => {
    const base = { ...initialValues(fields), query: 'abc' };
    expect(problemsOf(fields, { ...base, limit: 'ten' })[key('limit')]).toBe('Enter a number.');
    expect(problemsOf(fields, { ...base, limit: '2.5' })[key('limit')]).toBe(
      'Enter a whole number.',
    );
    expect(problemsOf(fields, { ...base, limit: '0' })[key('limit')]).toBe('Must be at least 1.');
    expect(problemsOf(fields, { ...base, limit: '101' })[key('limit')]).toBe(
      'Must be at most 100.',
    );
    expect(problemsOf(fields, { ...base, limit: '1', ratio: '0' })[key('ratio')]).toBe(
      'Must be more than 0.',
    );
    expect(problemsOf(fields, { ...base, limit: '1', ratio: '1' })[key('ratio')]).toBe(
      'Must be less than 1.',
    );
  });

  it('checks text lengths and patterns', () => {
    const base = { ...initialValues(fields), limit: '1' };
    expect(problemsOf(fields, { ...base, query: 'a' })[key('query')]).toBe(
      'Enter at least 2 characters.',
    );
    expect(problemsOf(fields, { ...base, query: 'abcdef' })[key('query')]).toBe(
      'Enter at most 5 characters.',
    );
    expect(problemsOf(fields, { ...base, query: 'ab', code: 'abc' })[key('code')]).toBe(
      'Must match the pattern ^[A-Z]+$.',
    );
  });

  it('checks each line of a list of numbers, and the number of items', () => {
    const base = { ...initialValues(fields), query: 'ab', limit: '1' };
    expect(problemsOf(fields, { ...base, ids: '1\nx' })[key('ids')]).toBe(
      'Line 2 is not a whole number.',
    );
    expect(problemsOf(fields, { ...base, ids: '1' })[key('ids')]).toBe('Enter at least 2 items.');
  });

  it('checks the required fields of an optional object only once something in it is filled', () => {
    const base = { ...initialValues(fields), query: 'ab', limit: '1' };
    expect(argumentsOf(fields, base)).not.toHaveProperty('author');
    expect(problemsOf(fields, { ...base, author: { login: '', team: 'web' } })).toEqual({
      [key('author', 'login')]: 'Required.',
    });
  });

  it('types what was entered as the schema says and leaves empty optional fields out', () => {
    const values: Values = {
      ...initialValues(fields),
      query: 'bug',
      limit: ' 42 ',
      ratio: '0.5',
      state: '2',
      drafts: true,
      tags: ' ui \n\n backend ',
      ids: '7\n8',
      author: { login: 'ada', team: '' },
    };
    expect(argumentsOf(fields, values)).toEqual({
      query: 'bug',
      limit: 42,
      ratio: 0.5,
      state: 3,
      drafts: true,
      tags: ['ui', 'backend'],
      ids: [7, 8],
      author: { login: 'ada' },
    });
  });

  it('sends an optional flag only when it differs from its default, a required one always', () => {
    const flags = fieldsOf({
      type: 'object',
      properties: {
        plain: { type: 'boolean' },
        onByDefault: { type: 'boolean', default: true },
        needed: { type: 'boolean' },
      },
      required: ['needed'],
    });
    expect(argumentsOf(flags, initialValues(flags))).toEqual({ needed: false });
    expect(argumentsOf(flags, { plain: true, onByDefault: false, needed: true })).toEqual({
      plain: true,
      onByDefault: false,
      needed: true,
    });
  });

  it('asks to choose for a required choice and sends an empty required list as []', () => {
    const required = fieldsOf({
      type: 'object',
      properties: {
        mode: { type: 'string', enum: ['a', 'b'] },
        tags: { type: 'array', items: { type: 'string' } },
      },
      required: ['mode', 'tags'],
    });
    expect(problemsOf(required, initialValues(required))).toEqual({ [key('mode')]: 'Choose one.' });
    expect(argumentsOf(required, { mode: '0', tags: '' })).toEqual({ mode: 'a', tags: [] });
  });

  it('drafts the arguments without what is wrong, for the JSON editor', () => {
    expect(draftArguments(fields, { ...initialValues(fields), query: 'ok', limit: 'x' })).toEqual({
      query: 'ok',
    });
  });
});

describe('valuesFrom', () => {
  const fields = fieldsOf({
    type: 'object',
    properties: {
      query: { type: 'string' },
      limit: { type: 'integer' },
      state: { enum: ['open', 'closed'] },
      tags: { type: 'array', items: { type: 'string' } },
      author: { type: 'object', properties: { login: { type: 'string' } } },
    },
  });

  it('fills the form from JSON arguments, and back gives the same arguments', () => {
    const data = {
      query: 'bug',
      limit: 3,
      state: 'closed',
      tags: ['a', 'b'],
      author: { login: 'ada' },
    };
    const filled = valuesFrom(fields, data);
    expect(filled).toEqual({
      values: { query: 'bug', limit: '3', state: '1', tags: 'a\nb', author: { login: 'ada' } },
    });
    if ('values' in filled) expect(argumentsOf(fields, filled.values)).toEqual(data);
  });

  it('says when the form cannot hold them', () => {
    expect(valuesFrom(fields, { other: 1 })).toEqual({
      problem: 'the form has no field for “other”',
    });
    expect(valuesFrom(fields, { limit: 'three' })).toEqual({
      problem: '“limit” does not fit its field',
    });
    expect(valuesFrom(fields, { state: 'maybe' })).toEqual({
      problem: '“state” does not fit its field',
    });
    expect(valuesFrom(fields, { tags: ['two\nlines'] })).toEqual({
      problem: '“tags” does not fit its field',
    });
  });
});

describe('parametersOf', () => {
  it('lists names, types, required, descriptions, allowed values and bounds, nested under parents', () => {
    const rows = parametersOf({
      type: 'object',
      $defs: {
        Item: { type: 'object', properties: { sku: { type: 'string' } }, required: ['sku'] },
      },
      properties: {
        query: { type: 'string', description: 'Words.', minLength: 2 },
        state: { type: 'string', enum: ['open', 'closed'], default: 'open' },
        when: { anyOf: [{ type: 'string', format: 'date' }, { type: 'null' }] },
        items: { type: 'array', items: { $ref: '#/$defs/Item' } },
        author: { type: 'object', properties: { login: { type: 'string' } } },
      },
      required: ['query'],
    });
    expect(rows.map((row) => [row.path.join('.'), row.depth, row.type, row.required])).toEqual([
      ['query', 0, 'string', true],
      ['state', 0, 'string', false],
      ['when', 0, 'string | null', false],
      ['items', 0, 'array of object', false],
      ['items[].sku', 1, 'string', true],
      ['author', 0, 'object', false],
      ['author.login', 1, 'string', false],
    ]);
    expect(rows[0]).toMatchObject({ description: 'Words.', notes: ['min length 2'] });
    expect(rows[1]).toMatchObject({ values: ['"open"', '"closed"'], notes: ['default "open"'] });
  });

  it('lists nothing for a schema that is not an object', () => {
    expect(parametersOf(null)).toEqual([]);
  });
});
