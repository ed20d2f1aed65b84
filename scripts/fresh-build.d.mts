/** Why `root`'s dist/ must be (re)built, or `undefined` when it is fresh (scripts/fresh-build.mjs). */
export declare function staleBuild(root: string): string | undefined;
