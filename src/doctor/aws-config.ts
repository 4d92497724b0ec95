// The AWS config and credentials files as the SDKs read them, for doctor. The files are read
// with epicac's own bounded reader (a FIFO or /dev/zero there must not hang or flood doctor) and
// handed to the JavaScript SDK's own loader (@smithy/core), which parses them exactly as the SDK
// does: [profile name] and [default] sections (a bare [name] in the config file is not a
// profile), [sso-session] and [services] sections, sub-sections, quoted names, inline comments.
// Where botocore reads the environment differently (AWS_DEFAULT_PROFILE, AWS_DEFAULT_REGION),
// both readings are kept, so that doctor can name the SDK a set-up fails for.

import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { join } from "node:path";
import { parseRoleArn } from "../arn.ts";
import type { Env } from "../env.ts";
import { readSmallFile } from "../small-file.ts";

/** The largest file read: far above any real one, far below memory trouble. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

export type Profiles = Record<string, Record<string, string>>;

export interface AwsConfig {
  configFile: string;
  credentialsFile: string;
  /** The config file's profiles, the credentials file's merged over them (as the SDK does). */
  profiles: Profiles;
}

export function configFilePath(env: Env): string {
  return env.AWS_CONFIG_FILE || join(env.HOME ?? "/", ".aws", "config");
}

export function credentialsFilePath(env: Env): string {
  return env.AWS_SHARED_CREDENTIALS_FILE || join(env.HOME ?? "/", ".aws", "credentials");
}

/** The profile each SDK uses: the JavaScript SDK reads AWS_PROFILE; botocore AWS_DEFAULT_PROFILE first. */
export function profileNames(env: Env): { javascript: string; botocore: string } {
  return {
    javascript: env.AWS_PROFILE || "default",
    botocore: env.AWS_DEFAULT_PROFILE || env.AWS_PROFILE || "default",
  };
}

/** The region each SDK sees for `profile`: the environment's, else the profile's own. */
export function regionsFor(
  config: AwsConfig,
  env: Env,
): { javascript?: string; botocore?: string } {
  const names = profileNames(env);
  return {
    javascript: env.AWS_REGION || config.profiles[names.javascript]?.region,
    botocore: env.AWS_DEFAULT_REGION || config.profiles[names.botocore]?.region,
  };
}

/**
 * Read both files (a missing credentials file is empty, as for the SDK; a missing config file
 * is an error the caller reports) and parse them with the SDK's loader.
 */
export async function readAwsConfig(env: Env): Promise<AwsConfig> {
  const configFile = configFilePath(env);
  const credentialsFile = credentialsFilePath(env);
  const configText = await readSmallFile(configFile, MAX_CONFIG_BYTES);
  const credentialsText = await readSmallFile(credentialsFile, MAX_CONFIG_BYTES).catch(
    (error) => {
      if ((error as { code?: string }).code === "ENOENT") return "";
      throw Object.assign(error, { file: credentialsFile });
    },
  );
  const { externalDataInterceptor, loadSharedConfigFiles } = await import("@smithy/core/config");
  // The loader reads these texts instead of the files: it never touches the files itself.
  externalDataInterceptor.interceptFile(configFile, configText);
  externalDataInterceptor.interceptFile(credentialsFile, credentialsText);
  const parsed = await loadSharedConfigFiles({
    configFilepath: configFile,
    filepath: credentialsFile,
  });
  const profiles: Profiles = {};
  for (const file of [parsed.configFile, parsed.credentialsFile]) {
    for (const [name, values] of Object.entries(file)) {
      // sso-session and services sections keep their prefix; they are not profiles.
      if (/^(sso-session|services)\./.test(name)) continue;
      profiles[name] = { ...profiles[name], ...(values as Record<string, string>) };
    }
  }
  return { configFile, credentialsFile, profiles };
}

const CREDENTIAL_SOURCES = ["EcsContainer", "Ec2InstanceMetadata", "Environment"];

/**
 * Follow a profile to where its credentials come from. Returns the steps it took, and whether
 * any step assumes a role (the SDK then calls STS, and needs a region), or throws an Error whose
 * message says which link is broken.
 */
export async function resolveProfile(
  profiles: Profiles,
  name: string,
  env: Env,
): Promise<{ steps: string[]; assumesRole: boolean; runsProcess: boolean }> {
  const steps: string[] = [];
  let assumesRole = false;
  const seen = new Set<string>();
  for (let current = name;;) {
    if (seen.has(current)) throw new Error(`profile ${current} is part of a source_profile loop`);
    seen.add(current);
    const profile = profiles[current];
    if (!profile) {
      const known = Object.keys(profiles).join(", ") || "none";
      throw new Error(`profile ${current} is not in the file (profiles there: ${known})`);
    }
    const roleArn = profile.role_arn;
    if (roleArn !== undefined) {
      if (!parseRoleArn(roleArn)) {
        throw new Error(
          `profile ${current} has role_arn '${roleArn}', which is not an IAM role ARN`,
        );
      }
      assumesRole = true;
    }
    const process = profile.credential_process;
    if (process !== undefined) {
      const program = await checkProgram(process, env);
      steps.push(`${current}: credential_process ${program}`);
      if (roleArn) steps.push(`${current}: assumes ${roleArn} with them`);
      return { steps, assumesRole, runsProcess: true };
    }
    const source = profile.source_profile;
    if (roleArn && source) {
      steps.push(`${current}: assumes ${roleArn} with profile ${source}`);
      current = source;
      continue;
    }
    const credentialSource = profile.credential_source;
    if (roleArn && credentialSource) {
      if (!CREDENTIAL_SOURCES.includes(credentialSource)) {
        throw new Error(
          `profile ${current} has credential_source '${credentialSource}', not ${
            CREDENTIAL_SOURCES.join(", ")
          }`,
        );
      }
      steps.push(`${current}: assumes ${roleArn} with credential_source ${credentialSource}`);
      return { steps, assumesRole, runsProcess: false };
    }
    if (profile.aws_access_key_id !== undefined) {
      steps.push(`${current}: static keys`);
      return { steps, assumesRole, runsProcess: false };
    }
    throw new Error(
      `profile ${current} has neither credential_process nor role_arn with source_profile or credential_source`,
    );
  }
}

/** The program a credential_process line runs, checked to exist and be executable. */
async function checkProgram(commandLine: string, env: Env): Promise<string> {
  const program = /^\s*(?:"([^"]+)"|'([^']+)'|(\S+))/.exec(commandLine);
  const path = program?.[1] ?? program?.[2] ?? program?.[3];
  if (!path) throw new Error("credential_process is empty");
  const found = await findExecutable(path, env);
  if (found) return `${found} (executable)`;
  throw new Error(`credential_process runs ${path}, which is missing or not executable`);
}

/** Where `program` is as a shell or exec would find it (a path as it is, a name on PATH). */
export async function findExecutable(program: string, env: Env): Promise<string | undefined> {
  const candidates = program.includes("/")
    ? [program]
    : (env.PATH ?? "").split(":").filter(Boolean).map((dir) => join(dir, program));
  for (const candidate of candidates) {
    try {
      // The file a link leads to must be executable (Deno's access() judges a link by itself).
      const target = await stat(candidate);
      if (!target.isFile() || (target.mode & 0o111) === 0) continue;
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Try the next one.
    }
  }
  return undefined;
}
