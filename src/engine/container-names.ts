/**
 * Generated container names, in Docker's "adjective_surname" style (berth's own word lists:
 * adjectives and the surnames of scientists and engineers).
 */
import { randomInt } from 'node:crypto';

const LEFT = [
  'agile', 'amazing', 'bold', 'brave', 'bright', 'busy', 'calm', 'careful', 'charming', 'clever', 'cool', 'crisp',
  'curious', 'dazzling', 'eager', 'elegant', 'epic', 'fair', 'fervent', 'festive', 'fond', 'friendly', 'gallant',
  'gentle', 'gifted', 'glad', 'happy', 'hardy', 'honest', 'hopeful', 'humble', 'jolly', 'keen', 'kind', 'lively',
  'loyal', 'lucid', 'merry', 'mighty', 'modest', 'neat', 'nifty', 'noble', 'patient', 'peaceful', 'polite', 'proud',
  'quick', 'quiet', 'radiant', 'rapid', 'ready', 'serene', 'sharp', 'shy', 'silly', 'sleepy', 'smart', 'snappy',
  'steady', 'stoic', 'sunny', 'swift', 'tender', 'tidy', 'upbeat', 'vibrant', 'vivid', 'warm', 'wise', 'witty', 'zen',
];

const RIGHT = [
  'agnesi', 'ampere', 'archimedes', 'babbage', 'bardeen', 'bell', 'bohr', 'boole', 'bose', 'brahe', 'cannon', 'carson',
  'cerf', 'curie', 'darwin', 'dijkstra', 'euclid', 'euler', 'faraday', 'fermat', 'fermi', 'feynman', 'franklin',
  'galileo', 'gauss', 'germain', 'goodall', 'hamilton', 'hawking', 'heisenberg', 'hertz', 'hopper', 'hubble',
  'hypatia', 'johnson', 'joule', 'kepler', 'knuth', 'kowalevski', 'lamarr', 'laplace', 'lovelace', 'maxwell',
  'meitner', 'mendel', 'morse', 'newton', 'nobel', 'noether', 'ohm', 'pascal', 'pasteur', 'planck', 'poincare',
  'ramanujan', 'ritchie', 'shannon', 'somerville', 'tesla', 'thompson', 'torvalds', 'turing', 'volta', 'watt',
  'wiles', 'wozniak', 'wright', 'yalow', 'yonath',
];

/** A random name; retry > 0 appends a digit, as Docker does after a collision. */
export function randomName(retry = 0): string {
  const name = `${LEFT[randomInt(LEFT.length)]}_${RIGHT[randomInt(RIGHT.length)]}`;
  return retry > 0 ? `${name}${randomInt(10)}` : name;
}
