/**
 * OpenAI-compatible embeddings (SPEC §6 OpenAI surface; semantic memory's embedders, docs/memory.md):
 * `POST /v1/embeddings {input, model, encoding_format?}` answers in OpenAI's shape
 * (`{object: "list", data: [{object: "embedding", index, embedding}], model, usage}`), so the official
 * clients work unchanged. `model` is `builtin` (the offline model shipped with caxton, 512 dimensions)
 * or a model alias whose provider serves embeddings; `input` is a string or an array of strings (at most
 * 256, each at most 16,000 characters); `encoding_format` `float` (default) or `base64` (little-endian
 * float32, as OpenAI sends it). Vectors have unit length. `usage.prompt_tokens` is the server's count,
 * or characters / 4 for the builtin model.
 */
import { z } from 'zod';
import { MEMORY_ITEM_LIMITS } from '../../domain/memory-items.js';
import { DomainError } from '../../domain/errors.js';
import type { AppDeps } from '../deps.js';
import { Routes } from '../openapi.js';
import { OpenAIErrorSchema } from '../openai-errors.js';

const Text = z.string().min(1).max(MEMORY_ITEM_LIMITS.textChars);

const EmbeddingsBody = z
  .object({
    input: z.union([Text, z.array(Text).min(1).max(256)]),
    model: z.string().min(1).describe('"builtin" or a model alias whose provider serves embeddings'),
    encoding_format: z.enum(['float', 'base64']).default('float'),
    user: z.string().optional().describe('accepted and ignored, as OpenAI clients may send it'),
  })
  .strict();

const EmbeddingsResponse = z.object({
  object: z.literal('list'),
  data: z.array(z.object({ object: z.literal('embedding'), index: z.number().int(), embedding: z.union([z.array(z.number()), z.string()]) })),
  model: z.string(),
  usage: z.object({ prompt_tokens: z.number().int(), total_tokens: z.number().int() }),
});

/** `POST /v1/embeddings`. */
export function openaiEmbeddingRoutes(deps: AppDeps): Routes {
  const r = new Routes('/v1');
  r.op(
    {
      method: 'post',
      path: '/embeddings',
      summary: 'Embed texts (OpenAI-compatible): model "builtin" or a model alias with an embeddings provider',
      tags: ['openai'],
      body: EmbeddingsBody,
      responses: {
        200: { description: 'one unit-length vector per input, in order', schema: EmbeddingsResponse },
        400: { description: 'bad input, or a model whose provider serves no embeddings', schema: OpenAIErrorSchema },
        404: { description: 'no model alias of that name', schema: OpenAIErrorSchema },
        503: { description: 'the embedder failed', schema: OpenAIErrorSchema },
      },
    },
    async (c) => {
      const b = c.req.valid('json');
      if (!deps.memory) throw new DomainError('UNAVAILABLE', 'embeddings are not available on this daemon');
      const inputs = typeof b.input === 'string' ? [b.input] : b.input;
      const { vectors, tokens } = await deps.memory.embedders.get(b.model).embed(inputs, c.req.raw.signal);
      const encode = (v: Float32Array) =>
        b.encoding_format === 'base64' ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') : Array.from(v);
      return c.json({
        object: 'list' as const,
        data: vectors.map((v, index) => ({ object: 'embedding' as const, index, embedding: encode(v) })),
        model: b.model,
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      });
    },
  );
  return r;
}
