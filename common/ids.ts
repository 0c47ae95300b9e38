import { z } from 'zod';

/** Ids (users, visits, participants) are short opaque strings: letters, digits, `_`, `-`, `.`, `:`, `@`. Never names. */
export const IdSchema = z.string().min(1).max(128).regex(/^[A-Za-z0-9_.:@-]+$/, 'must be 1-128 of A-Z a-z 0-9 _ . : @ -');
