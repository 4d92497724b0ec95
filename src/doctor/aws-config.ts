// The AWS config file, as far as doctor needs it: sections and their keys, and whether a
// profile resolves to credentials through credential_process and source_profile.

import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { join } from "node:path";
import type { Env } from "../sources/container-uri.ts";

export type Profiles = Map<string, Map<string, string>>;

// A section header: [default], [profile name] (the name may be quoted), [sso-session name],
// [services name], or a bare [name] (which the config file does not read as a profile).
const SECTION = /^\[\s*(?:(profile|sso-session|services)\s+)?("[^"]*"|[^\]\s]+)\s*\]$/;

/**
 * Parse an AWS config file as the SDKs read it: the profiles, by name. Profile sections are
 * [default] and [profile name]; [sso-session …] and [services …] sections, and any other
 * section, are read and left out, as are sub-sections (a key with an empty value followed by
 * indented key = value lines).
 */
export function parseAwsConfig(text: string): Profiles {
  const profiles: Profiles = new Map();
  let current: Map<string, string> | undefined;
  let inSection = false;
  let subSection = false;
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    if (subSection && /^\s/.test(raw)) {
      if (!/^[A-Za-z0-9_.-]+\s*=/.test(line)) {
        throw new Error(`line ${index + 1} is not key = value inside a sub-section`);
      }
      continue;
    }
    subSection = false;
    const section = SECTION.exec(line);
    if (section) {
      const [, kind, quotedName] = section;
      const name = quotedName.replace(/^"(.*)"$/, "$1");
      inSection = true;
      if (kind === "profile" || (!kind && name === "default")) {
        current = profiles.get(name) ?? new Map();
        profiles.set(name, current);
      } else {
        current = undefined; // sso-session, services, or not a profile in a config file
      }
      continue;
    }
    const pair = /^([A-Za-z0-9_.-]+)\s*=\s*(.*)$/.exec(line);
    if (!pair) throw new Error(`line ${index + 1} is neither a [section] nor key = value`);
    if (!inSection) throw new Error(`line ${index + 1} comes before any [profile …] section`);
    if (pair[2].trim() === "") {
      subSection = true;
      continue;
    }
    current?.set(pair[1].toLowerCase(), pair[2].trim());
  }
  return profiles;
}

export function configFilePath(env: Env): string {
  return env.AWS_CONFIG_FILE || join(env.HOME ?? "/", ".aws", "config");
}

/**
 * Follow a profile to where its credentials come from. Returns the steps it took, or throws an
 * Error whose message says which link is broken.
 */
export async function resolveProfile(
  profiles: Profiles,
  name: string,
  env: Env,
): Promise<string[]> {
  const steps: string[] = [];
  const seen = new Set<string>();
  for (let current = name;;) {
    if (seen.has(current)) throw new Error(`profile ${current} is part of a source_profile loop`);
    seen.add(current);
    const profile = profiles.get(current);
    if (!profile) {
      const known = [...profiles.keys()].join(", ") || "none";
      throw new Error(`profile ${current} is not in the file (profiles there: ${known})`);
    }
    const roleArn = profile.get("role_arn");
    if (roleArn && !/^arn:aws[\w-]*:iam::\d{12}:role\/\S+$/.test(roleArn)) {
      throw new Error(`profile ${current} has role_arn '${roleArn}', which is not an IAM role ARN`);
    }
    const process = profile.get("credential_process");
    if (process !== undefined) {
      const program = await checkProgram(process, env);
      steps.push(`${current}: credential_process ${program}`);
      if (roleArn) steps.push(`${current}: assumes ${roleArn} with them`);
      return steps;
    }
    const source = profile.get("source_profile");
    if (roleArn && source) {
      steps.push(`${current}: assumes ${roleArn} with profile ${source}`);
      current = source;
      continue;
    }
    const credentialSource = profile.get("credential_source");
    if (roleArn && credentialSource) {
      if (!["EcsContainer", "Ec2InstanceMetadata", "Environment"].includes(credentialSource)) {
        throw new Error(
          `profile ${current} has credential_source '${credentialSource}', not EcsContainer, Ec2InstanceMetadata or Environment`,
        );
      }
      steps.push(`${current}: assumes ${roleArn} with credential_source ${credentialSource}`);
      return steps;
    }
    if (profile.has("aws_access_key_id")) {
      steps.push(`${current}: static keys in the config file`);
      return steps;
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
  const candidates = path.includes("/")
    ? [path]
    : (env.PATH ?? "").split(":").filter(Boolean).map((dir) => join(dir, path));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return `${candidate} (executable)`;
    } catch {
      // Try the next one.
    }
  }
  throw new Error(`credential_process runs ${path}, which is missing or not executable`);
}
