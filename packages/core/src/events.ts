import type { DomainEvent, DomainEventListener, EventBus } from './ports/events.ts';

/**
 * The in-process event bus. Listeners run in subscription order and are awaited; one failing
 * listener does not stop the others, and its error is reported rather than thrown at the writer
 * (the change is already committed).
 */
export function createEventBus(onListenerError: (error: unknown, event: DomainEvent) => void = () => {}): EventBus {
  const listeners = new Set<DomainEventListener>();
  return {
    async emit(event) {
      for (const listener of listeners) {
        try {
          await listener(event);
        } catch (error) {
          onListenerError(error, event);
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
