/**
 * Provider settings (SPEC §2 `[providers.NAME]` of ares.toml, SPEC §7): the schema the config loader
 * validates and the type the LLM layer builds providers from (src/llm/registry.ts), kept here so
 * neither layer imports the other.
 */
import { z } from 'zod';

/** One `[providers.NAME]` table. Timeouts in ms. The key itself is read from `api_key_env` (or `api_key`). */
export const ProviderConfigSchema = z
  .object({
    type: z.enum(['openai', 'openai-compatible', 'offline', 'scripted']),
    base_url: z.url().optional(),
    api_key_env: z.string().min(1).optional(),
    /** Inline key; discouraged (prefer api_key_env). Never logged or exported. */
    api_key: z.string().min(1).optional(),
    timeout_ms: z.number().int().positive().default(60_000),
    max_retries: z.number().int().min(0).max(10).default(2),
    /**
     * `type = "scripted"` only: the script file of replies (TOML `[[replies]]` or JSON), relative to
     * the home; read once at start (src/llm/script-file.ts).
     */
    script: z.string().min(1).optional(),
    /** `type = "scripted"` only: after the last reply, `loop` back to the first (default), `error`, or `echo` the message. */
    when_exhausted: z.enum(['loop', 'error', 'echo']).optional(),
  })
  .strict();

/** One validated `[providers.NAME]` table, defaults applied. */
export type ProviderConfig = z.infer<typeof ProviderConfigSchema>;
