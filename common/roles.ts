/** Roles from the clinic's RBAC, as visit tokens carry them (DESIGN.md, "Roles"). */
export const ROLES = ['provider', 'nurse', 'patient', 'administrator', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/** Roles that take part in a visit's media; administrators and auditors do not. */
export const MEDIA_ROLES: ReadonlySet<Role> = new Set(['provider', 'nurse', 'patient']);

/** Roles that join admitted and may admit or deny the waiting room. */
export const STAFF_ROLES: ReadonlySet<Role> = new Set(['provider', 'nurse']);
