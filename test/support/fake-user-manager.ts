import dbus, { type MessageBus } from 'dbus-next';

/** The user's systemd manager as far as its Environment property goes. */
class SystemdManager extends dbus.interface.Interface {
  Environment: string[] = [];
  constructor() {
    super('org.freedesktop.systemd1.Manager');
  }
}
SystemdManager.configureMembers({ properties: { Environment: { signature: 'as', access: 'read' } } });

/**
 * Serves org.freedesktop.systemd1 on the bus at `address` with the given `Environment`
 * (`NAME=value` strings); disconnect the bus it returns to stop.
 */
export async function startFakeUserManager(address: string, environment: string[]): Promise<MessageBus> {
  const bus = dbus.sessionBus({ busAddress: address });
  await bus.requestName('org.freedesktop.systemd1', 0);
  const manager = new SystemdManager();
  manager.Environment = environment;
  bus.export('/org/freedesktop/systemd1', manager);
  return bus;
}
