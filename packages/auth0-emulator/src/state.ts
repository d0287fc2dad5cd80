import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';

// Persistence of users and the signing key. The key is persisted too so tokens issued before
// a restart stay valid, just as a real tenant's tokens survive an Auth0 deploy.

const storedUserSchema = z.object({
  user_id: z.string(),
  email: z.string(),
  email_verified: z.boolean(),
  connection: z.string(),
  name: z.string(),
  nickname: z.string(),
  picture: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  password_hash: z.string(),
  given_name: z.string().optional(),
  family_name: z.string().optional(),
  username: z.string().optional(),
  phone_number: z.string().optional(),
  phone_verified: z.boolean().optional(),
  blocked: z.boolean().optional(),
  app_metadata: z.record(z.string(), z.unknown()).optional(),
  user_metadata: z.record(z.string(), z.unknown()).optional(),
});

export type StoredUser = z.infer<typeof storedUserSchema>;

const stateSchema = z.object({
  version: z.literal(1),
  privateKeyPem: z.string(),
  users: z.array(storedUserSchema),
});

export type EmulatorState = z.infer<typeof stateSchema>;

/** Returns undefined when the file does not exist yet; a corrupt file is an error, not a reset. */
export function readState(file: string): EmulatorState | undefined {
  if (!existsSync(file)) return undefined;
  const parsed = stateSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    throw new Error(`Auth0 emulator state file ${file} is not valid: ${parsed.error.message}`);
  }
  return parsed.data;
}

/**
 * Write-then-rename so a crash mid-write never leaves a truncated file. Synchronous on purpose:
 * a 201 must only be sent once the user is on disk, and writes stay in request order.
 */
export function writeState(file: string, state: EmulatorState): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  // 0600: the file holds the emulator's private signing key and password hashes.
  writeFileSync(tmp, JSON.stringify(state, null, 2), { mode: 0o600 });
  renameSync(tmp, file);
}
