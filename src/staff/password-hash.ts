/**
 * Staff passwords, hashed with argon2id (OWASP's first choice) at argon2's defaults (64 MiB, t=3, p=4).
 */
import argon2 from 'argon2';

/** Refuses short passwords: a console holds beneficiaries' private data. */
export const MIN_PASSWORD_LENGTH = 10;

export function hashPassword(plain: string): Promise<string> {
  return argon2.hash(plain, { type: argon2.argon2id });
}

/** Never throws for a malformed hash: a broken row must read as "wrong password", not as a 500. */
export async function verifyPassword(hash: string, plain: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, plain);
  } catch {
    return false;
  }
}

/** A valid hash of nothing anyone knows, verified for unknown e-mails so timing does not reveal who has an account. */
let dummyHash: Promise<string> | undefined;
export function dummyVerify(plain: string): Promise<boolean> {
  dummyHash ??= hashPassword(`dummy-${Math.random()}`);
  return dummyHash.then((h) => verifyPassword(h, plain));
}
