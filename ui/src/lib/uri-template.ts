// Resource templates (RFC 6570 URI templates, as MCP servers use them): the variables a person
// fills in, and the URI they make. Levels 1 to 3 and the explode modifier are enough for what
// servers publish (`file:///{path}`, `repo://{owner}/{repo}{?ref}`); a prefix modifier (`:3`)
// cuts a value to its length.

interface Expression {
  operator: string;
  /** Each variable's name and prefix length (`{name:3}`); an explode `*` changes nothing here. */
  variables: { name: string; prefix: number | null }[];
}

interface Rules {
  first: string;
  separator: string;
  named: boolean;
  reserved: boolean;
}

const SIMPLE: Rules = { first: '', separator: ',', named: false, reserved: false };

const OPERATORS: Record<string, Rules> = {
  '+': { first: '', separator: ',', named: false, reserved: true },
  '#': { first: '#', separator: ',', named: false, reserved: true },
  '.': { first: '.', separator: '.', named: false, reserved: false },
  '/': { first: '/', separator: '/', named: false, reserved: false },
  ';': { first: ';', separator: ';', named: true, reserved: false },
  '?': { first: '?', separator: '&', named: true, reserved: false },
  '&': { first: '&', separator: '&', named: true, reserved: false },
};

function parse(body: string): Expression {
  const first = body.charAt(0);
  const operator = first in OPERATORS ? first : '';
  const list = operator === '' ? body : body.slice(1);
  return {
    operator,
    variables: list
      .split(',')
      .map((spec) => spec.trim())
      .filter((spec) => spec !== '')
      .map((spec) => {
        const bare = spec.endsWith('*') ? spec.slice(0, -1) : spec;
        const [name = bare, length] = bare.split(':');
        const prefix = length === undefined ? null : Number.parseInt(length, 10);
        return { name, prefix: prefix !== null && Number.isFinite(prefix) ? prefix : null };
      }),
  };
}

/** The variables of `template`, in order of first appearance, each once. */
export function templateVariables(template: string): string[] {
  const names: string[] = [];
  for (const match of template.matchAll(/\{([^}]*)\}/g)) {
    for (const variable of parse(match[1] ?? '').variables) {
      if (!names.includes(variable.name)) names.push(variable.name);
    }
  }
  return names;
}

function encode(value: string, reserved: boolean): string {
  if (reserved) {
    // Reserved expansion keeps URI delimiters (a path's slashes) and existing escapes.
    return encodeURI(value).replace(/%25([0-9A-Fa-f]{2})/g, '%$1');
  }
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * The URI `template` makes with `values`. An empty value leaves its variable out, as RFC 6570
 * does for an undefined one (so an optional query parameter disappears).
 */
export function expandTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{([^}]*)\}/g, (_whole, body: string) => {
    const expression = parse(body);
    const rules = OPERATORS[expression.operator] ?? SIMPLE;
    const parts: string[] = [];
    for (const variable of expression.variables) {
      const raw = values[variable.name];
      if (raw === undefined || raw === '') continue;
      const value = variable.prefix === null ? raw : [...raw].slice(0, variable.prefix).join('');
      const encoded = encode(value, rules.reserved);
      parts.push(rules.named ? `${variable.name}=${encoded}` : encoded);
    }
    return parts.length === 0 ? '' : rules.first + parts.join(rules.separator);
  });
}
