/**
 * `GET /api/executions/{id}`: one of the caller's executions with the runs it started (sub-agent
 * runs, recursively) as a tree (src/domain/execution-tree.ts): agent, status, finish_reason, tokens,
 * cost (USD), duration (ms), tool calls and routing decision of each, with `totals` rolled up over
 * each subtree. Another user's execution does not exist (404).
 */
import { z } from 'zod';
import { DomainError } from '../../domain/errors.js';
import { executionTree } from '../../domain/execution-tree.js';
import type { AppDeps } from '../deps.js';
import { ErrorSchema, Routes, type OpSpec } from '../openapi.js';

/** The fields every node has (besides the execution row's other columns). */
const NODE_FIELDS = {
  id: z.string(),
  agent_name: z.string(),
  status: z.string(),
  duration_ms: z.number(),
  totals: z
    .object({ tokens_input: z.number(), tokens_output: z.number(), cost_usd: z.number() })
    .describe('tokens and cost (USD) of this run and every run under it'),
};

/** One node of the tree as answered: the execution row's fields, `totals`, and `children` shaped the same way (recursively). */
const NodeSchema = z
  .object({
    ...NODE_FIELDS,
    children: z.array(z.object({ ...NODE_FIELDS, children: z.array(z.unknown()) }).loose()).describe('the runs this one started, each a node like this one'),
  })
  .loose();

const treeSpec = {
  method: 'get',
  path: '/executions/{id}',
  summary: 'One of your runs with the sub-agent runs it started, as a tree (tokens rolled up in `totals`)',
  tags: ['history'],
  responses: {
    200: { description: 'the execution and its children', schema: NodeSchema },
    404: { description: 'you have no execution with that id', schema: ErrorSchema },
  },
} satisfies OpSpec;

/** The route. */
export function executionTreeRoutes(deps: AppDeps): Routes {
  const r = new Routes('/api');
  r.op(treeSpec, async (c) => {
    const id = c.req.param('id')!;
    const tree = executionTree(await deps.tenants.history.executionTree(id, c.get('userId')), id);
    if (!tree)
      throw new DomainError('NOT_FOUND', `execution ${id} not found`, [
        { field: 'id', message: 'you have no execution with that id', hint: 'GET /api/executions lists your runs' },
      ]);
    return c.json(tree);
  });
  return r;
}
