/**
 * `calculator` builtin: a small recursive-descent parser and evaluator for arithmetic —
 * never `eval`, no variables, no assignment, no loops, so nothing a model writes can reach the
 * process. Grammar: `+ - * / % ^` (also `**`), unary minus, parentheses, `n!` (n <= 170), the
 * constants `pi`, `e`, `tau`, and the functions in FUNCTIONS. Results are IEEE doubles shown to 12
 * significant digits, so `0.1 + 0.2` gives `0.3`. (mathjs was the alternative; it takes ~2 s to
 * load on this machine, longer than the tool's timeout budget warrants.)
 */
import { DomainError } from '../../domain/errors.js';

/** Longest expression accepted (characters). */
export const MAX_EXPRESSION_CHARS = 1_000;

const CONSTANTS: Record<string, number> = { pi: Math.PI, e: Math.E, tau: 2 * Math.PI };

type Fn = { min: number; max: number; f: (...a: number[]) => number };
const fn1 = (f: (x: number) => number): Fn => ({ min: 1, max: 1, f: (x) => f(x!) });
const FUNCTIONS: Record<string, Fn> = {
  sqrt: fn1(Math.sqrt),
  cbrt: fn1(Math.cbrt),
  abs: fn1(Math.abs),
  floor: fn1(Math.floor),
  ceil: fn1(Math.ceil),
  trunc: fn1(Math.trunc),
  sign: fn1(Math.sign),
  exp: fn1(Math.exp),
  ln: fn1(Math.log),
  log10: fn1(Math.log10),
  log2: fn1(Math.log2),
  sin: fn1(Math.sin),
  cos: fn1(Math.cos),
  tan: fn1(Math.tan),
  asin: fn1(Math.asin),
  acos: fn1(Math.acos),
  atan: fn1(Math.atan),
  /** log(x) is the natural log; log(x, base) any base. */
  log: { min: 1, max: 2, f: (x, b) => (b === undefined ? Math.log(x!) : Math.log(x!) / Math.log(b)) },
  /** round(x) to an integer; round(x, digits) to that many decimals. */
  round: {
    min: 1,
    max: 2,
    f: (x, d) => {
      if (d === undefined) return Math.round(x!);
      const k = 10 ** Math.trunc(d);
      return Math.round((x! + Number.EPSILON * Math.sign(x!)) * k) / k;
    },
  },
  pow: { min: 2, max: 2, f: (x, y) => x! ** y! },
  atan2: { min: 2, max: 2, f: (y, x) => Math.atan2(y!, x!) },
  hypot: { min: 1, max: 100, f: Math.hypot },
  min: { min: 1, max: 100, f: Math.min },
  max: { min: 1, max: 100, f: Math.max },
  sum: { min: 1, max: 100, f: (...a) => a.reduce((s, x) => s + x, 0) },
  avg: { min: 1, max: 100, f: (...a) => a.reduce((s, x) => s + x, 0) / a.length },
};

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  private fail(msg: string): never {
    throw new DomainError('BAD_REQUEST', `${msg} at position ${this.i + 1}`);
  }
  private skip(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++;
  }
  private peek(): string {
    this.skip();
    return this.s[this.i] ?? '';
  }
  private eat(c: string): boolean {
    if (this.peek() === c) {
      this.i++;
      return true;
    }
    return false;
  }

  parse(): number {
    const v = this.expr();
    if (this.peek() !== '') this.fail(`unexpected "${this.s[this.i]}"`);
    return v;
  }
  private expr(): number {
    let v = this.term();
    for (;;) {
      if (this.eat('+')) v += this.term();
      else if (this.eat('-')) v -= this.term();
      else return v;
    }
  }
  private term(): number {
    let v = this.unary();
    for (;;) {
      const c = this.peek();
      if (c === '*' && this.s[this.i + 1] !== '*') {
        this.i++;
        v *= this.unary();
      } else if (c === '/' || c === '%') {
        this.i++;
        const d = this.unary();
        if (d === 0) this.fail(c === '/' ? 'division by zero' : 'modulo by zero');
        v = c === '/' ? v / d : v % d;
      } else return v;
    }
  }
  private unary(): number {
    if (this.eat('-')) return -this.unary();
    if (this.eat('+')) return this.unary();
    return this.power();
  }
  private power(): number {
    const base = this.postfix();
    if (this.eat('^')) return base ** this.unary();
    if (this.peek() === '*' && this.s[this.i + 1] === '*') {
      this.i += 2;
      return base ** this.unary();
    }
    return base;
  }
  private postfix(): number {
    let v = this.primary();
    while (this.eat('!')) {
      if (!Number.isInteger(v) || v < 0 || v > 170) this.fail('factorial needs an integer from 0 to 170');
      let r = 1;
      for (let k = 2; k <= v; k++) r *= k;
      v = r;
    }
    return v;
  }
  private primary(): number {
    const c = this.peek();
    if (c === '(') {
      this.i++;
      const v = this.expr();
      if (!this.eat(')')) this.fail('missing ")"');
      return v;
    }
    const num = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(this.s.slice(this.i));
    if (num) {
      this.i += num[0].length;
      return Number(num[0]);
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i));
    if (id) {
      const name = id[0].toLowerCase();
      this.i += id[0].length;
      if (this.eat('(')) {
        const fn = Object.hasOwn(FUNCTIONS, name) ? FUNCTIONS[name] : undefined;
        if (!fn) this.fail(`unknown function ${id[0]} (known: ${Object.keys(FUNCTIONS).join(', ')})`);
        const args: number[] = [];
        if (!this.eat(')')) {
          do args.push(this.expr());
          while (this.eat(','));
          if (!this.eat(')')) this.fail('missing ")"');
        }
        if (args.length < fn.min || args.length > fn.max) {
          this.fail(`${name} takes ${fn.min === fn.max ? fn.min : `${fn.min} to ${fn.max}`} argument(s), got ${args.length}`);
        }
        return fn.f(...args);
      }
      const k = Object.hasOwn(CONSTANTS, name) ? CONSTANTS[name] : undefined;
      if (k === undefined) this.fail(`unknown name ${id[0]} (constants: pi, e, tau)`);
      return k;
    }
    this.fail(c === '' ? 'unexpected end of expression' : `unexpected "${c}"`);
  }
}

/**
 * Evaluate `expression` and return the result as text (12 significant digits, no exponent for
 * ordinary magnitudes). @throws DomainError BAD_REQUEST with the position of a syntax error, for a
 * division by zero, or for a result that is not a finite number.
 */
export function calculate(expression: string): string {
  if (expression.length > MAX_EXPRESSION_CHARS) {
    throw new DomainError('BAD_REQUEST', `expression is longer than ${MAX_EXPRESSION_CHARS} characters`);
  }
  if (expression.trim() === '') throw new DomainError('BAD_REQUEST', 'expression is empty');
  const v = new Parser(expression).parse();
  if (!Number.isFinite(v)) throw new DomainError('BAD_REQUEST', 'the result is not a finite number');
  const rounded = Number(v.toPrecision(12));
  return String(Object.is(rounded, -0) ? 0 : rounded);
}
