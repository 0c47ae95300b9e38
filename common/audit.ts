import fs from 'node:fs';
import type { Logger } from './logger.ts';

export type AuditAction = 'join' | 'admit' | 'deny' | 'leave' | 'remove' | 'denied-request';

export interface AuditEntry {
  action: AuditAction;
  userId: string;
  role: string;
  visitId: string;
  address: string;
  node: string;
  /** The other participant (admit, deny) or the refused request; ids only, never names. */
  target?: string;
  time?: string;
}

/**
 * Append-only audit log: one JSON line per entry, to a file when one is
 * configured (opened with O_APPEND and written synchronously, so no entry is
 * lost on exit), else to the process log.
 */
export class AuditLog {
  private readonly fd?: number;

  constructor(private readonly logger: Logger, file?: string) {
    if (file) this.fd = fs.openSync(file, 'a', 0o600);
  }

  record(entry: AuditEntry): void {
    const line = { ...entry, time: new Date().toISOString() };
    if (this.fd !== undefined) fs.writeSync(this.fd, JSON.stringify(line) + '\n');
    else this.logger.info({ audit: line }, 'audit');
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
  }
}
