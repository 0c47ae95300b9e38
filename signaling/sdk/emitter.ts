/** A tiny typed event emitter: `on`, `once`, `off`; a listener that throws does not stop the others. */
export class TypedEmitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<(data: never) => void>>();

  on<E extends keyof Events>(event: E, listener: (data: Events[E]) => void): this {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (data: never) => void);
    return this;
  }

  once<E extends keyof Events>(event: E, listener: (data: Events[E]) => void): this {
    const wrapped = (data: Events[E]) => {
      this.off(event, wrapped);
      listener(data);
    };
    return this.on(event, wrapped);
  }

  off<E extends keyof Events>(event: E, listener: (data: Events[E]) => void): this {
    this.listeners.get(event)?.delete(listener as (data: never) => void);
    return this;
  }

  protected emit<E extends keyof Events>(event: E, data: Events[E]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        (listener as (data: Events[E]) => void)(data);
      } catch (err) {
        // A broken listener must not break the SDK's state machine; surface it asynchronously.
        setTimeout(() => { throw err; });
      }
    }
  }
}
