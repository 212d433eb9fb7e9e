/** Every channel Wasl knows. A channel is used when its module says it is enabled by the configuration. */
import type { ChannelModule } from './channel-module';
import { cliChannel } from './cli/cli-channel';

export const channelModules: readonly ChannelModule[] = [cliChannel];
