import type { Command } from '../command.ts';
import { abandon } from './abandon.ts';
import { advisoryAdd, advisoryLs, advisoryRm } from './advisory.ts';
import { audit } from './audit.ts';
import { download } from './download.ts';
import { install } from './install.ts';
import { invitations } from './invitations.ts';
import { invite } from './invite.ts';
import { login } from './login.ts';
import { logout } from './logout.ts';
import { maintainerships } from './maintainerships.ts';
import { members } from './members.ts';
import { accept, decline, leave } from './membership-commands.ts';
import { orgCreate } from './org-create.ts';
import { packages } from './packages.ts';
import { ping } from './ping.ts';
import { publish } from './publish.ts';
import { releaseAgeGet, releaseAgeSet } from './release-age.ts';
import { exec, run } from './run.ts';
import { tagAdd, tagLs, tagRm } from './tag.ts';
import { accessGet, accessGrant, accessRevoke, accessSet, teamAdd, teamCreate, teamDestroy, teamLs, teamRm } from './team.ts';
import { tokenCreate, tokenList, tokenRevoke } from './token.ts';
import { trust } from './trust.ts';
import { trustedPublisherAdd, trustedPublisherLs, trustedPublisherRm } from './trusted-publisher.ts';
import { whoami } from './whoami.ts';
import { yank } from './yank.ts';

export const commands: Command[] = [
  login,
  logout,
  whoami,
  ping,
  tokenList,
  tokenCreate,
  tokenRevoke,
  publish,
  install,
  run,
  exec,
  trust,
  download,
  tagAdd,
  tagRm,
  tagLs,
  yank,
  abandon,
  advisoryAdd,
  advisoryLs,
  advisoryRm,
  audit,
  releaseAgeGet,
  releaseAgeSet,
  packages,
  members,
  invite,
  invitations,
  accept,
  decline,
  leave,
  maintainerships,
  orgCreate,
  teamCreate,
  teamDestroy,
  teamAdd,
  teamRm,
  teamLs,
  accessGrant,
  accessRevoke,
  accessGet,
  accessSet,
  trustedPublisherLs,
  trustedPublisherAdd,
  trustedPublisherRm,
];
