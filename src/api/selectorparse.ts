/**
 * The parser of the selector string form ("a=b,c!=d,e in (f,g),!h,i>3"), as labels.Parse reads it.
 */
import { SelectorParseError, selectorFromRequirements } from './labels.js';
import type { Requirement, Selector, SelectorOperator } from './labels.js';
import { isQualifiedName, isValidLabelValue } from './names.js';

type Token =
  | { kind: 'id'; text: string; pos: number }
  | { kind: 'op'; text: '=' | '==' | '!=' | '!' | '(' | ')' | ',' | '>' | '<'; pos: number }
  | { kind: 'eos'; pos: number };

const SPECIAL = new Set(['=', '!', '(', ')', ',', '>', '<']);

function lex(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '=' || c === '!') {
      if (text[i + 1] === '=') {
        out.push({ kind: 'op', text: c === '=' ? '==' : '!=', pos: i });
        i += 2;
      } else {
        out.push({ kind: 'op', text: c, pos: i });
        i++;
      }
      continue;
    }
    if (c === '(' || c === ')' || c === ',' || c === '>' || c === '<') {
      out.push({ kind: 'op', text: c, pos: i });
      i++;
      continue;
    }
    const start = i;
    while (i < text.length && !SPECIAL.has(text[i]!) && !/\s/.test(text[i]!)) i++;
    out.push({ kind: 'id', text: text.slice(start, i), pos: start });
  }
  out.push({ kind: 'eos', pos: text.length });
  return out;
}

class Parser {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly text: string,
  ) {}

  private peek(): Token {
    return this.tokens[this.i]!;
  }
  private next(): Token {
    const t = this.tokens[this.i]!;
    if (t.kind !== 'eos') this.i++;
    return t;
  }
  private fail(t: Token, what: string): never {
    const found = t.kind === 'eos' ? 'end of string' : JSON.stringify(t.text);
    throw new SelectorParseError(
      `unable to parse requirement: found ${found} at position ${t.pos} of ${JSON.stringify(this.text)}, ${what}`,
      'selector',
    );
  }
  private isEnd(t: Token): boolean {
    return t.kind === 'eos' || (t.kind === 'op' && t.text === ',');
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    if (this.peek().kind === 'eos') return reqs;
    for (;;) {
      reqs.push(this.requirement());
      const t = this.next();
      if (t.kind === 'eos') return reqs;
      if (!(t.kind === 'op' && t.text === ',')) this.fail(t, 'expected ","');
    }
  }

  private requirement(): Requirement {
    let t = this.next();
    let negated = false;
    if (t.kind === 'op' && t.text === '!') {
      negated = true;
      t = this.next();
    }
    if (t.kind !== 'id' || t.text === 'in' || t.text === 'notin')
      this.fail(t, 'expected a label key');
    const key = t.text;
    checkKey(key);
    if (negated) {
      if (!this.isEnd(this.peek())) this.fail(this.peek(), 'expected "," or end after "!key"');
      return { key, operator: '!', values: [] };
    }
    if (this.isEnd(this.peek())) return { key, operator: 'exists', values: [] };
    const op = this.operator();
    if (op === 'in' || op === 'notin') return { key, operator: op, values: this.valueSet() };
    const v = this.exactValue();
    if ((op === 'gt' || op === 'lt') && !/^[+-]?[0-9]+$/.test(v)) {
      throw new SelectorParseError(
        `for 'Gt', 'Lt' operators, the value must be an integer: ${JSON.stringify(v)}`,
        'selector',
      );
    }
    checkValue(v);
    return { key, operator: op, values: [v] };
  }

  private operator(): SelectorOperator {
    const t = this.next();
    if (t.kind === 'id' && (t.text === 'in' || t.text === 'notin')) return t.text;
    if (t.kind === 'op') {
      switch (t.text) {
        case '=':
        case '==':
        case '!=':
          return t.text;
        case '>':
          return 'gt';
        case '<':
          return 'lt';
        default:
      }
    }
    return this.fail(t, 'expected one of =, ==, !=, in, notin, >, <');
  }

  private exactValue(): string {
    const t = this.peek();
    if (this.isEnd(t)) return '';
    if (t.kind === 'id') {
      this.next();
      return t.text;
    }
    return this.fail(t, 'expected a value');
  }

  private valueSet(): string[] {
    const open = this.next();
    if (!(open.kind === 'op' && open.text === '(')) this.fail(open, 'expected "("');
    const values = new Set<string>();
    let expectValue = true;
    for (;;) {
      const t = this.next();
      if (t.kind === 'op' && t.text === ')') {
        // "()" is the set holding the empty string, as upstream reads it; so is a trailing ",".
        if (expectValue) values.add('');
        break;
      }
      if (t.kind === 'op' && t.text === ',') {
        if (expectValue) values.add('');
        expectValue = true;
        continue;
      }
      if (t.kind === 'id' && expectValue) {
        values.add(t.text);
        expectValue = false;
        continue;
      }
      this.fail(t, 'expected a value, "," or ")"');
    }
    for (const v of values) checkValue(v);
    return [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
}

function checkKey(key: string): void {
  const msgs = isQualifiedName(key);
  if (msgs.length > 0)
    throw new SelectorParseError(
      `key: Invalid value: ${JSON.stringify(key)}: ${msgs.join('; ')}`,
      'key',
    );
}

function checkValue(v: string): void {
  const msgs = isValidLabelValue(v);
  if (msgs.length > 0)
    throw new SelectorParseError(
      `values: Invalid value: ${JSON.stringify(v)}: ${msgs.join('; ')}`,
      'values',
    );
}

/** Parses the string form ("a=b,c!=d,e in (f,g),!h"). Throws SelectorParseError. */
export function parseSelector(text: string): Selector {
  return selectorFromRequirements(new Parser(lex(text), text).parse());
}
