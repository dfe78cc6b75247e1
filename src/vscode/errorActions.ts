/** Which buttons an error notification offers, by error code (pure, unit-tested). */
import type { ErrorCode } from '../core/errors';
import type { ErrorAction } from '../protocol/messages';

export type { ErrorAction };

export function actionsFor(code: ErrorCode | string, providerId: string): ErrorAction[] {
  switch (code) {
    case 'UNREACHABLE':
      return providerId === 'fastvideo-local'
        ? ['Start adapter', 'Open settings', 'Switch provider']
        : ['Open settings', 'Switch provider', 'Troubleshooting'];
    case 'ADAPTER_CRASHED':
      return ['Restart adapter', 'Show log'];
    case 'UNAUTHORIZED':
      return ['Set token', 'Troubleshooting'];
    case 'WORKSPACE_UNTRUSTED':
      return ['Manage trust'];
    case 'SETTINGS_INVALID':
    case 'WORKFLOW_INVALID':
    case 'OUTPUT_NOT_WRITABLE':
      return ['Open settings', 'Troubleshooting'];
    case 'CANCELLED':
      return [];
    default:
      return ['Show log', 'Troubleshooting'];
  }
}
