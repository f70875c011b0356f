/** Errors both store backends raise the same way. */
import { DomainError } from '../domain/errors.js';

/**
 * The error of a run step continuing conversation `id` after it was deleted (by a request on another
 * node, which cannot see this node's runs, or through another daemon sharing the database): NOT_FOUND,
 * as continuing it afresh would answer, and nothing of the step is written.
 */
export const conversationGone = (id: string): DomainError =>
  new DomainError('NOT_FOUND', `conversation ${id} not found: it was deleted while this run was continuing it`, [
    { field: 'conversation_id', message: 'deleted during the run', hint: 'start a new conversation (leave out conversation_id)' },
  ]);

/** A shared conversation written to after it was deleted (meanwhile, or on another node): NOT_FOUND, and nothing is written. */
export const sharedConversationGone = (id: string): DomainError => new DomainError('NOT_FOUND', `conversation ${id} not found`);
