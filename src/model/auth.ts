/**
 * Roles and what each may do. Every API route names the permission it needs.
 */
import { z } from 'zod';

/** Token roles. */
export const RoleSchema = z.enum(['admin', 'analyst', 'viewer', 'ingest']);
/** One role. */
export type Role = z.infer<typeof RoleSchema>;

/** Permissions that routes require. */
export type Permission = 'read' | 'sql' | 'triage' | 'detect' | 'push' | 'manage';

/** The permission matrix. */
export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: ['read', 'sql', 'triage', 'detect', 'push', 'manage'],
  analyst: ['read', 'sql', 'triage', 'detect'],
  viewer: ['read'],
  ingest: ['push'],
};

/** True when `role` has `perm`. */
export function can(role: Role, perm: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(perm);
}
