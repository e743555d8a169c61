/** Who is asking: a signed-in user (session) or a detection system (API key owned by a user). */
export interface Principal {
  userId: number;
  username: string;
  groups: readonly string[];
  admin: boolean;
  /** Authenticated by an API key: a detection system or script rather than an analyst at a browser. */
  apikey?: boolean;
}

export interface Groups {
  read: string[];
  modify: string[];
}

const intersects = (a: readonly string[], b: readonly string[]) => a.some((g) => b.includes(g));

export function canRead(who: Principal, groups: Groups): boolean {
  return who.admin || intersects(who.groups, groups.read) || intersects(who.groups, groups.modify);
}

export function canModify(who: Principal, groups: Groups): boolean {
  return who.admin || intersects(who.groups, groups.modify);
}
