// VS Code's theme for speedscope (issue 12: "the flame graph is speedscope pasted in"). Loaded
// before the speedscope bundle, which build-time patches (scripts/build-speedscope.mjs
// THEME_PATCHES) make call:
// - window.__pyprofTheme(theme): speedscope's light or dark theme object with the colours of the
//   VS Code theme: toolbar like the editor tabs, backgrounds and text like the editor, selection
//   like the focus border. Colours become opaque #rrggbb (speedscope parses them as hex).
// - window.__pyprofFont: the editor's font family, for canvas labels, hover tip and tables;
//   window.__pyprofUiFont: the workbench's, for the toolbar.
// The webview host puts the theme's --vscode-* variables on <html> before any script runs; on a
// theme change the extension renders the page again, so the bundle reads the new colours.
(function () {
  'use strict';
  const css = getComputedStyle(document.documentElement);
  const raw = (name) => css.getPropertyValue(name).trim();
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 1;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });

  /** `color` painted over `under` (both CSS colours), as #rrggbb; undefined when not a colour. */
  function opaqueHex(color, under) {
    if (!color || !ctx) return undefined;
    ctx.fillStyle = '#010203';
    ctx.fillStyle = color; // an invalid colour leaves fillStyle unchanged
    if (ctx.fillStyle === '#010203' && color.toLowerCase() !== '#010203') return undefined;
    const parsed = ctx.fillStyle;
    ctx.fillStyle = under || '#ffffff';
    ctx.fillRect(0, 0, 1, 1);
    ctx.fillStyle = parsed;
    ctx.fillRect(0, 0, 1, 1);
    const d = ctx.getImageData(0, 0, 1, 1).data;
    return '#' + [d[0], d[1], d[2]].map((v) => v.toString(16).padStart(2, '0')).join('');
  }

  const editorBg = opaqueHex(raw('--vscode-editor-background'), '#ffffff');
  const pick = (names, fallback) => {
    for (const n of names) {
      const v = opaqueHex(raw(n), editorBg);
      if (v) return v;
    }
    return fallback;
  };

  window.__pyprofTheme = function (t) {
    if (!editorBg) return t;
    return Object.assign({}, t, {
      fgPrimaryColor: pick(['--vscode-editor-foreground', '--vscode-foreground'], t.fgPrimaryColor),
      fgSecondaryColor: pick(['--vscode-descriptionForeground', '--vscode-disabledForeground'], t.fgSecondaryColor),
      bgPrimaryColor: editorBg,
      bgSecondaryColor: pick(['--vscode-editorWidget-background', '--vscode-sideBar-background'], t.bgSecondaryColor),
      // speedscope's toolbar and detail pane header: the editor tab strip's colours, not black
      altFgPrimaryColor: pick(['--vscode-tab-activeForeground', '--vscode-foreground'], t.altFgPrimaryColor),
      altFgSecondaryColor: pick(['--vscode-tab-inactiveForeground', '--vscode-descriptionForeground'], t.altFgSecondaryColor),
      altBgPrimaryColor: pick(['--vscode-editorGroupHeader-tabsBackground', '--vscode-sideBar-background'], t.altBgPrimaryColor),
      altBgSecondaryColor: pick(['--vscode-tab-inactiveBackground', '--vscode-editorWidget-background'], t.altBgSecondaryColor),
      selectionPrimaryColor: pick(['--vscode-focusBorder', '--vscode-list-activeSelectionBackground'], t.selectionPrimaryColor),
      selectionSecondaryColor: pick(['--vscode-list-inactiveSelectionBackground', '--vscode-editor-selectionBackground'], t.selectionSecondaryColor),
      searchMatchPrimaryColor: pick(['--vscode-editor-findMatchBackground'], t.searchMatchPrimaryColor),
      searchMatchSecondaryColor: pick(['--vscode-editor-findMatchHighlightBackground'], t.searchMatchSecondaryColor),
    });
  };
  const font = raw('--vscode-editor-font-family');
  if (font) window.__pyprofFont = font;
  const uiFont = raw('--vscode-font-family');
  if (uiFont) window.__pyprofUiFont = uiFont; // the toolbar, like VS Code's tabs
  // for tests and the status line: the colours actually handed to speedscope
  window.__pyprofThemeApplied = { editorBg: editorBg, font: font };
})();
