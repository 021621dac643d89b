/**
 * Image references as Docker parses them (github.com/distribution/reference's grammar): checked here, once,
 * before anything is asked of an engine, so a path or a URL that is not an image never reaches the API (where
 * `/nope/x.tar` becomes a redirect that the HTTP client cannot follow) and bad input is told as such.
 *
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [ domain "/" ] path-component [ "/" path-component ]*     (at most 255 characters)
 *   domain    := host [ ":" port ]   (the first component, when it has a "." or ":", or is "localhost")
 */
import { BadInputError, UsageError } from '../errors.js';

export interface ImageReference {
  /** As given. */
  text: string;
  /** Registry host (and port), when the name has one. */
  domain?: string | undefined;
  /** The repository path under the domain (`library/busybox`, `app`). */
  path: string;
  tag?: string | undefined;
  digest?: string | undefined;
}

const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]+)?$`);
const PATH = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const NAME_MAX = 255;

/** Parses `text` as Docker would; throws BadInputError saying what is wrong with it. */
export function parseImageReference(text: string): ImageReference {
  const bad = (why: string) => new BadInputError(`"${text}" is not an image reference: ${why}`,
    'Give an image name as docker does (name[:tag][@digest], lower case), an image ID, or the path of an archive or OCI layout.');
  if (text === '') throw bad('it is empty');
  if (/\s/.test(text)) throw bad('it contains white space');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) throw bad('it is a URL');
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad(`"${digest}" is not a digest (algorithm:hex)`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`"${tag}" is not a tag (letters, digits, _ . -, at most 128, not starting with . or -)`);
  }
  if (rest.length > NAME_MAX) throw bad(`the name is longer than ${NAME_MAX} characters`);
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  const hasDomain = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  const domain = hasDomain ? first : undefined;
  const path = hasDomain ? rest.slice(slash + 1) : rest;
  if (domain !== undefined && !DOMAIN.test(domain)) throw bad(`"${domain}" is not a registry host`);
  if (!PATH.test(path)) {
    throw bad(path !== path.toLowerCase() ? 'repository names are lower case' : 'a name is lower-case letters and digits in components separated by /, with . _ __ or - inside a component');
  }
  return { text, domain, path, tag, digest };
}

/** The repository (with its domain) and tag of an output name; the tag is `latest` when none is given. */
export function parseTagName(name: string): { repo: string; tag: string } {
  let ref: ImageReference;
  try {
    ref = parseImageReference(name);
  } catch (err) {
    throw new UsageError(`"${name}" is not a valid image name (repo[:tag], lower case)`, (err as Error).message);
  }
  if (ref.digest) throw new UsageError(`"${name}" is a digest reference; give a tag (repo:tag)`);
  return { repo: ref.domain ? `${ref.domain}/${ref.path}` : ref.path, tag: ref.tag ?? 'latest' };
}

/** `repo:tag` split at the tag's colon (a registry port's colon is not a tag), without checking the grammar. */
export function splitTag(name: string): { repo: string; tag: string } {
  if (name.includes('@')) throw new UsageError(`"${name}" is a digest reference; give a tag (repo:tag)`);
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) return { repo: name.slice(0, colon), tag: name.slice(colon + 1) };
  return { repo: name, tag: 'latest' };
}
