// Clickable `file:line` in stack dumps and collapsed-stack files: each location found by
// stackLocations.ts becomes a link that opens the file at that line, after the same path mapping
// the profile views use (pyprof.pathMappings, then trailing-segment matching). Locations with no
// local file get no link rather than one that fails.

import * as fs from 'fs';
import * as vscode from 'vscode';
import { mapProfilePath } from '../../profile/pathMap';
import { findCollapsedLocations, findDumpLocations, StackLocation } from './stackLocations';
import { pathMappings } from '../store';

export const STACKS_LANGUAGE = 'pyprof-stacks';
export const COLLAPSED_LANGUAGE = 'pyprof-collapsed';

class StackLinkProvider implements vscode.DocumentLinkProvider {
  provideDocumentLinks(doc: vscode.TextDocument): vscode.DocumentLink[] {
    const find = doc.languageId === COLLAPSED_LANGUAGE ? findCollapsedLocations : findDumpLocations;
    const mappings = pathMappings();
    const resolved = new Map<string, string | undefined>();
    const local = (file: string) => {
      if (!resolved.has(file)) resolved.set(file, mapProfilePath(file, { mappings, exists: (p) => fs.existsSync(p) && fs.statSync(p).isFile() }));
      return resolved.get(file);
    };
    const links: vscode.DocumentLink[] = [];
    for (const loc of find(doc.getText())) {
      const target = local(loc.file);
      if (!target) continue;
      const link = new vscode.DocumentLink(new vscode.Range(loc.line, loc.start, loc.line, loc.end), locationUri(target, loc));
      link.tooltip = loc.sourceLine ? `Open ${target} at line ${loc.sourceLine}` : `Open ${target}`;
      links.push(link);
    }
    return links;
  }
}

/** `#L12` is how VS Code's link opener selects a line of a file URI. */
function locationUri(file: string, loc: StackLocation): vscode.Uri {
  const uri = vscode.Uri.file(file);
  return loc.sourceLine > 0 ? uri.with({ fragment: `L${loc.sourceLine}` }) : uri;
}

export function registerStackLinks(): vscode.Disposable {
  return vscode.languages.registerDocumentLinkProvider([{ language: STACKS_LANGUAGE }, { language: COLLAPSED_LANGUAGE }], new StackLinkProvider());
}
