/** Constraint failures, told apart by the codes each driver gives them. */
const codeOf = (err: unknown) => (err as { code?: string } | null)?.code;

export const isUniqueViolation = (err: unknown) => ['23505', 'SQLITE_CONSTRAINT_UNIQUE'].includes(codeOf(err) ?? '');

export const isForeignKeyViolation = (err: unknown) => ['23503', 'SQLITE_CONSTRAINT_FOREIGNKEY'].includes(codeOf(err) ?? '');
