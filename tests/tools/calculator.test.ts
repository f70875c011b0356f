/** calculator builtin: a real parser (precedence, associativity, functions) that refuses anything but arithmetic. */
import { describe, expect, it } from 'vitest';
import { calculate } from '../../src/tools/builtin/calculator.js';

describe('calculator', () => {
  it.each([
    ['0.1 + 0.2', '0.3'],
    ['2 + 3 * 4', '14'],
    ['(2 + 3) * 4', '20'],
    ['2 ^ 3 ^ 2', '512'],
    ['-2 ^ 2', '-4'],
    ['2 ** 10', '1024'],
    ['10 / 4', '2.5'],
    ['7 % 3', '1'],
    ['3 * -2', '-6'],
    ['5!', '120'],
    ['sqrt(16) + round(2.345, 2)', '6.35'],
    ['log(8, 2)', '3'],
    ['max(1, 5, 3) - min(4, 2)', '3'],
    ['1e3 * 2', '2000'],
    ['round(pi, 4)', '3.1416'],
    ['49.99 * 3 * (1 - 0.15)', '127.4745'],
  ])('%s = %s', (expr, want) => {
    expect(calculate(expr)).toBe(want);
  });

  it.each([
    ['1 / 0', /division by zero/],
    ['2 +', /unexpected end of expression/],
    ['foo(1)', /unknown function foo/],
    ['process', /unknown name process/],
    ['constructor.constructor("return process")()', /unknown name constructor/],
    ['x = 1', /unknown name x/],
    ['sqrt(1, 2)', /sqrt takes 1 argument/],
    ['(1 + 2', /missing "\)"/],
    ['171!', /factorial needs an integer/],
    ['10 ^ 400', /not a finite number/],
    ['', /empty/],
  ])('refuses %s', (expr, err) => {
    expect(() => calculate(expr)).toThrow(err);
  });

  it('refuses expressions longer than the limit', () => {
    expect(() => calculate('1+'.repeat(600) + '1')).toThrow(/longer than 1000/);
  });
});
