/** Who is asking: a signed-in user (session) or a detection system (API key owned by a user). */
export interface Principal {
  userId: number;
  username: string;
  groups: readonly string[];
  admin: boolean;
  /** How the caller signed in, when it was over HTTP: an API key may do less than a session (it cannot mint keys). */
  via?: 'session' | 'apikey';
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
