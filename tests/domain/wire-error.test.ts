/**
 * The error on the wire (src/domain/wire-error.ts): what every serializer writes and the client reads
 * back. Secret values are removed from message and details; a cancelled run is UNAVAILABLE; anything
 * that is no DomainError says nothing of its internals.
 */
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import { fromWireError, toWireError, wireBody } from '../../src/domain/wire-error.js';

const scrub = (text: string) => text.replaceAll('sk-live-123456789', '[secret]');

describe('toWireError', () => {
  it('keeps code, details and Retry-After, and scrubs message and details', () => {
    const err = new DomainError(
      'PROVIDER_ERROR',
      'key sk-live-123456789 refused',
      [{ field: 'api_key', message: 'sk-live-123456789 is wrong', hint: 'rotate it' }],
      { retryAfterSecs: 2 },
    );
    expect(toWireError(err, scrub)).toEqual({
      code: 'PROVIDER_ERROR',
      message: 'key [secret] refused',
      details: [{ field: 'api_key', message: '[secret] is wrong', hint: 'rotate it' }],
      retryAfterSecs: 2,
    });
  });

  it('reports a cancelled run as CANCELLED (HTTP 503)', () => {
    expect(toWireError(new DomainError('CANCELLED', 'daemon shutting down')).code).toBe('CANCELLED');
  });

  it('hides what is not a DomainError', () => {
    expect(toWireError(new Error('ENOENT /home/me/.secret'))).toEqual({ code: 'INTERNAL', message: 'internal error', details: [] });
  });
});

describe('fromWireError', () => {
  it('reads back what wireBody writes', () => {
    const back = fromWireError(wireBody(toWireError(new DomainError('NOT_FOUND', 'no agent x', [{ field: 'name', message: 'unknown' }]))));
    expect(back).toBeInstanceOf(DomainError);
    expect(back).toMatchObject({ code: 'NOT_FOUND', message: 'no agent x', details: [{ field: 'name', message: 'unknown' }] });
  });

  it('is undefined for a body that is no error', () => {
    expect(fromWireError({ ok: true })).toBeUndefined();
    expect(fromWireError(null)).toBeUndefined();
  });
});
