// @ts-check
/**
 * The ESLint rule `touchstream/module-boundaries`: which project may import which, by the tags in
 * each project's project.json. It reads the same depConstraints shape Nx's enforce-module-boundaries
 * took (sourceTag, onlyDependOnLibsWithTags, notDependOnLibsWithTags, bannedExternalImports), without
 * Nx's project graph: a project is a workspace folder (package.json "workspaces", plus e2e/) with a
 * project.json, and @touchstream/<name> is the package of that folder. Cycles need no check here:
 * tsc -b refuses circular project references. Why Nx went: docs/decisions/0018-module-boundaries.md.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');

/**
 * @typedef {{ name: string, root: string, tags: string[], application: boolean, packageName: string | undefined }} Project
 * @typedef {{ sourceTag: string, onlyDependOnLibsWithTags?: string[], notDependOnLibsWithTags?: string[], bannedExternalImports?: string[] }} DepConstraint
 */

/** @param {string} path */
function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** The workspace folders (package.json "workspaces" globs of the form dir/*) and e2e/. */
function projectFolders(root) {
  const globs = /** @type {string[]} */ (readJson(join(root, 'package.json')).workspaces ?? []);
  const folders = ['e2e'];
  for (const glob of globs) {
    const parent = glob.replace(/\/\*$/, '');
    if (parent === glob || !existsSync(join(root, parent))) continue;
    for (const entry of readdirSync(join(root, parent), { withFileTypes: true })) {
      if (entry.isDirectory()) folders.push(join(parent, entry.name));
    }
  }
  return folders;
}

/** @param {string} root @returns {Project[]} */
export function loadProjects(root = ROOT) {
  return projectFolders(root)
    .filter((folder) => existsSync(join(root, folder, 'project.json')))
    .map((folder) => {
      const project = readJson(join(root, folder, 'project.json'));
      const pkg = join(root, folder, 'package.json');
      return {
        name: project.name ?? folder,
        root: join(root, folder),
        tags: project.tags ?? [],
        application: project.projectType === 'application',
        packageName: existsSync(pkg) ? readJson(pkg).name : undefined,
      };
    });
}

/** @param {Project[]} projects @param {string} file */
function projectOf(projects, file) {
  return projects.find((project) => file === project.root || file.startsWith(project.root + sep));
}

/** `@nestjs/*` matches `@nestjs/common`; a bare name matches the package and its subpaths. */
function matchesPackage(pattern, specifier) {
  if (pattern.endsWith('/*')) return specifier.startsWith(pattern.slice(0, -1));
  return specifier === pattern || specifier.startsWith(pattern + '/');
}

/** A tag list matches a wanted tag exactly, or any tag for `*`. */
function hasTag(tags, wanted) {
  return wanted === '*' || tags.includes(wanted);
}

/**
 * What is wrong with `specifier` imported from `file` (undefined when nothing is).
 * @param {{ projects: Project[], depConstraints: DepConstraint[] }} context
 * @param {string} file
 * @param {string} specifier
 */
export function boundaryViolation({ projects, depConstraints }, file, specifier) {
  const source = projectOf(projects, file);
  if (!source) return undefined;
  const constraints = depConstraints.filter((constraint) => hasTag(source.tags, constraint.sourceTag));
  if (specifier.startsWith('.')) {
    const target = projectOf(projects, resolve(dirname(file), specifier));
    if (target && target !== source) return `relative import into ${target.name}: import it by its package name (${target.packageName})`;
    return undefined;
  }
  const target = projects.find((project) => project.packageName && matchesPackage(project.packageName, specifier));
  if (!target) {
    const banned = constraints.find((constraint) =>
      constraint.bannedExternalImports?.some((pattern) => matchesPackage(pattern, specifier)),
    );
    return banned ? `a project tagged "${banned.sourceTag}" may not import ${specifier}` : undefined;
  }
  if (target === source) return `${specifier} is this project's own package: import the file relatively`;
  if (specifier !== target.packageName) return `import ${target.packageName} (its index), not a file inside it`;
  if (target.application) return `${target.name} is an application: nothing imports it`;
  for (const constraint of constraints) {
    const only = constraint.onlyDependOnLibsWithTags;
    if (only && !only.some((tag) => hasTag(target.tags, tag))) {
      return `a project tagged "${constraint.sourceTag}" can only depend on projects tagged ${only.map((tag) => `"${tag}"`).join(', ')}; ${target.name} is tagged ${target.tags.join(', ')}`;
    }
    const not = constraint.notDependOnLibsWithTags?.find((tag) => hasTag(target.tags, tag));
    if (not) return `a project tagged "${constraint.sourceTag}" may not depend on projects tagged "${not}" (${target.name})`;
  }
  return undefined;
}

const projectsOnce = { /** @type {Project[] | undefined} */ value: undefined };

/** @type {import('eslint').Rule.RuleModule} */
const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'Imports between projects follow the tags in their project.json' },
    schema: [{ type: 'object', properties: { depConstraints: { type: 'array' } }, additionalProperties: false }],
    messages: { boundary: '{{problem}}' },
  },
  create(context) {
    const depConstraints = /** @type {DepConstraint[]} */ (context.options[0]?.depConstraints ?? []);
    projectsOnce.value ??= loadProjects();
    const settings = { projects: projectsOnce.value, depConstraints };
    /** @param {import('estree').Node & { source?: import('estree').Node | null }} node */
    const check = (node) => {
      const source = node.source;
      if (!source || source.type !== 'Literal' || typeof source.value !== 'string') return;
      const problem = boundaryViolation(settings, context.filename, source.value);
      if (problem) context.report({ node: source, messageId: 'boundary', data: { problem } });
    };
    return { ImportDeclaration: check, ExportAllDeclaration: check, ExportNamedDeclaration: check, ImportExpression: check };
  },
};

export default { meta: { name: 'touchstream' }, rules: { 'module-boundaries': rule } };
