/// The page's only stylesheet, inline. System fonts only: a report must not fetch anything.
enum HTMLStyle {
    static let css = """
        :root { --pass: #2e7d32; --fail: #c62828; --unknown: #b26a00; --line: #ddd; --muted: #666; }
        * { box-sizing: border-box; }
        body { margin: 0 auto; max-width: 1040px; padding: 0 16px 48px; color: #222; background: #fafafa;
               font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
        header { margin: 16px 0 8px; padding: 16px 20px; border-radius: 8px; background: #fff;
                 border-left: 8px solid var(--unknown); box-shadow: 0 1px 2px rgba(0,0,0,.08); }
        header.pass { border-left-color: var(--pass); }
        header.fail { border-left-color: var(--fail); }
        h1 { font-size: 20px; margin: 0 0 8px; word-break: break-word; }
        h2 { font-size: 17px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
        h3 { font-size: 15px; margin: 18px 0 6px; }
        .verdict-line { font-size: 16px; margin: 0 0 10px; }
        .badge { display: inline-block; padding: 2px 10px; border-radius: 4px; color: #fff; font-weight: 700;
                 letter-spacing: .04em; background: var(--unknown); }
        header.pass .badge { background: var(--pass); }
        header.fail .badge { background: var(--fail); }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
        dl.facts dt { color: var(--muted); }
        dl.facts dd { margin: 0; word-break: break-word; }
        nav { margin: 8px 0 0; }
        nav a { margin-right: 14px; color: #35608f; text-decoration: none; }
        figure { margin: 12px 0; padding: 8px; background: #fff; border: 1px solid var(--line); border-radius: 6px;
                 overflow-x: auto; }
        svg.chart { display: block; max-width: 100%; height: auto; }
        .table-wrap { overflow-x: auto; margin: 6px 0 12px; }
        .table-wrap.long { max-height: 34em; overflow-y: auto; border-bottom: 1px solid var(--line); }
        .table-wrap.long th { position: sticky; top: 0; z-index: 1; }
        table { border-collapse: collapse; background: #fff; font-size: 13px; max-width: 100%; }
        th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
        td { white-space: pre-wrap; overflow-wrap: anywhere; max-width: 480px; }
        th { background: #f0f0f0; font-weight: 600; overflow-wrap: normal; }
        tr.outcome-failed td:first-child, tr.verdict-invalid td:first-child { color: var(--fail); font-weight: 700; }
        tr.outcome-passed td:first-child, tr.verdict-valid td:first-child { color: var(--pass); font-weight: 700; }
        tr.outcome-unknown td:first-child, tr.verdict-unknown td:first-child { color: var(--unknown); font-weight: 700; }
        details.evidence { margin: 8px 0; }
        details.evidence summary { cursor: pointer; font-weight: 600; }
        .note { color: var(--muted); }
        footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
        """
}
