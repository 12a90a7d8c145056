#!/usr/bin/env python3
"""compare.py — the corpus half of bench/bench-lint.sh: zdm-hook lint and
squawk over every statement of tests/data/lint/, compared per squawk rule.

Called by bench-lint.sh (which installs squawk, builds the statement dumper,
times both tools on 1,000 generated migrations and passes the figures in);
prints the table and the lists, writes the CSV. Standard library only.

How a finding becomes a statement: bench/lint/stmts.c prints every statement
exactly as zdm loads and splits it (first token's line and column); a finding
of either tool at LINE:COL belongs to the last statement that starts at or
before it (squawk's positions are 0-based, zdm's 1-based).

Who flags what:
  squawk  flags statement S for rule R when it reports R at S (only the rules
          of CHOSEN count; IGNORED ones are counted and shown as "not
          comparable").
  zdm     flags S for R when it reports, at S, a finding of a rule whose
          `squawk` field (zdm-hook lint --rules) names R, and the finding is
          refusing, a warning, or allowed by an `allow=` comment (a human
          override of a finding zdm made). A contract finding allowed because
          the file is a guarded contract (phase=contract requires-app=) is
          zdm's context knowledge, not a flag. A zdm rule that names several
          squawk rules counts for the ones squawk reported at S, or else for
          the one the statement's text points to (FOREIGN KEY/REFERENCES ->
          adding-foreign-key-constraint, PRIMARY KEY ->
          adding-serial-primary-key-field, ...).

Every statement squawk flags and zdm does not is classified, first match:
  input      zdm refuses the whole case directory as input (exit 2)
  context    safe by context, zdm knows: the table is created earlier in the
             same file; a validated CHECK (col IS NOT NULL) exists; the
             column's old type (a known widening); a view replaces the renamed
             table in the same file; the file is a guarded contract; the file
             runs with transaction=off
  other      zdm refuses (or warns about) the statement under a rule that
             does not name R
  semantics  squawk over-flags: no such lock or break in PostgreSQL (ON ONLY
             index, non-volatile default, VIRTUAL generated column)
  MISS       anything else (an unknown-statement warning included)
The probes are patterns over the statement text: they explain zdm's silence
and are only asked where zdm is silent.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

# Squawk rules that concern locking or breaking changes (see bench/README.md
# for the reasons), in the order the table prints them.
CHOSEN = [
    # locks: index builds and drops
    "require-concurrent-index-creation",
    "require-concurrent-index-deletion",
    "require-concurrent-reindex",
    "require-concurrent-partition-detach",
    "ban-concurrent-index-creation-in-transaction",
    # locks: constraints
    "constraint-missing-not-valid",
    "adding-foreign-key-constraint",
    "disallowed-unique-constraint",
    "adding-serial-primary-key-field",
    "ban-alter-domain-with-add-constraint",
    # locks: scans and rewrites
    "adding-not-nullable-field",
    "adding-field-with-default",
    "changing-column-type",
    "prefer-repack",
    # breaking changes
    "adding-required-field",
    "renaming-column",
    "renaming-table",
    "ban-drop-column",
    "ban-drop-table",
    "ban-drop-database",
    "ban-drop-not-null",
    "ban-truncate-cascade",
    # transactions
    "transaction-nesting",
    "ban-uncommitted-transaction",
]

# Not comparable, with the reason printed next to the count.
IGNORED = {
    "require-lock-timeout": "zdm enforces lock_timeout/statement_timeout at run time",
    "require-statement-timeout": "zdm enforces lock_timeout/statement_timeout at run time",
    "require-timeout-settings": "zdm enforces lock_timeout/statement_timeout at run time",
    "prefer-robust-stmts": "style (zdm records partial transaction=off progress and resumes)",
    "prefer-bigint-over-int": "style (column types)",
    "prefer-bigint-over-smallint": "style (column types)",
    "prefer-identity": "style (column types)",
    "prefer-text-field": "style (column types)",
    "prefer-timestamptz": "style (column types)",
    "prefer-timestamp-tz": "style (column types)",
    "ban-char-field": "style (column types)",
    "identifier-too-long": "style (naming)",
    "require-table-schema": "style (naming), opt-in",
    "require-enum-value-ordering": "style (enum order)",
    "ban-create-domain-with-constraint": "design advice: a new domain locks nothing",
    "ban-duplicate-column-assignments": "correctness, not locking",
    "unused-ignore": "squawk's own ignore comments (the corpus has none)",
    "syntax-error": "squawk could not parse the statement",
}

TX_RULES = {"ban-concurrent-index-creation-in-transaction", "transaction-nesting",
            "ban-uncommitted-transaction"}

# For a zdm rule that names several squawk rules: which one a statement is
# about when squawk reported none of them (first matching pattern wins,
# otherwise the first name in the rule's squawk field).
PRIMARY = {
    "adding-foreign-key-constraint": r"\bREFERENCES\b|\bFOREIGN\s+KEY\b",
    "adding-serial-primary-key-field": r"\bPRIMARY\s+KEY\b",
    "constraint-missing-not-valid": r"\bCHECK\b",
    "disallowed-unique-constraint": r"\bUNIQUE\b|\bEXCLUDE\b",
}

IDENT = r'(?:"[^"]+"|[A-Za-z_][\w$]*)'
NAME = r'(%s(?:\s*\.\s*%s)*)' % (IDENT, IDENT)


def die(msg):
    print("bench-lint: error: " + msg, file=sys.stderr)
    sys.exit(2)


def norm(name):
    """A table name as zdm compares them: unquoted parts lower-cased,
    "public." dropped."""
    parts = re.findall(r'"([^"]+)"|([A-Za-z_][\w$]*)', name)
    out = [q if q else u.lower() for q, u in parts]
    if len(out) > 1 and out[0] == "public":
        out = out[1:]
    return ".".join(out)


def strip_comments(sql):
    sql = re.sub(r"/\*.*?\*/", " ", sql, flags=re.S)
    return re.sub(r"--[^\n]*", " ", sql)


class Stmt:
    def __init__(self, f, idx, line, col, last, text):
        self.file, self.idx, self.line, self.col, self.last = f, idx, line, col, last
        self.head = text
        self.full = ""          # whole text, comments removed (for heuristics)
        self.sq = {}            # squawk rule -> first (line, col) reported
        self.zdm = []           # zdm findings (dicts)


class File:
    def __init__(self, case, path, tx, guarded):
        self.case, self.path, self.tx, self.guarded = case, path, tx, guarded
        self.stmts = []


class Case:
    def __init__(self, d, load_error):
        self.dir, self.load_error = d, load_error
        self.files = []
        self.zdm_error = None   # zdm-hook lint exit 2: its message
        self.safe = False       # `expected` lists no finding


def load_stmts(path):
    cases, files = [], {}
    with open(path, encoding="utf-8", errors="replace") as fh:
        for raw in fh:
            p = raw.rstrip("\n").split("\t")
            if p[0] == "case":
                cases.append(Case(p[1], p[3] if p[2] == "error" else None))
            elif p[0] == "file":
                f = File(cases[-1], p[1], p[2] == "1", p[3] == "1")
                cases[-1].files.append(f)
                files[f.path] = f
            elif p[0] == "stmt":
                f = files[p[1]]
                f.stmts.append(Stmt(f, int(p[2]), int(p[3]), int(p[4]), int(p[5]),
                                    "\t".join(p[6:])))
    for f in files.values():
        with open(f.path, encoding="utf-8", errors="replace") as fh:
            lines = fh.read().split("\n")
        for i, s in enumerate(f.stmts):
            chunk = lines[s.line - 1:s.last]
            if chunk:
                chunk[0] = chunk[0][s.col - 1:]
            text = "\n".join(chunk)
            # several statements on one line: stop at the next one
            if i + 1 < len(f.stmts) and f.stmts[i + 1].line == s.last:
                nxt = f.stmts[i + 1]
                cut = len(text) - (len(lines[s.last - 1]) - (nxt.col - 1))
                if s.line == s.last:
                    cut = nxt.col - s.col
                text = text[:max(cut, 0)]
            s.full = strip_comments(text)
    return cases, files


def stmt_at(f, line, col):
    """The last statement of f that starts at or before line:col (the first
    one for positions before any statement)."""
    best = f.stmts[0] if f.stmts else None
    for s in f.stmts:
        if (s.line, s.col) <= (line, col):
            best = s
        else:
            break
    return best


def run(cmd, ok=(0,), **kw):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    if p.returncode not in ok:
        die("%s exited %d: %s" % (cmd[0], p.returncode, p.stderr.decode(errors="replace").strip()[-2000:]))
    return p


def zdm_rules(zdm):
    """zdm rule id -> (class, [squawk rules])."""
    out = run([zdm, "lint", "--rules"]).stdout.decode()
    rules = {}
    for line in out.splitlines():
        m = re.match(r"(\S+)\s+(\S+)\s+.*?(?:\[squawk: ([^\]]*)\])?\s*$", line)
        if m:
            rules[m.group(1)] = (m.group(2), (m.group(3) or "").split())
    if not rules:
        die("zdm-hook lint --rules listed no rules")
    return rules


# ------------------------------------------------------------ context probes

def created_earlier(s):
    """The table s works on, when an earlier statement of the same file created
    it (and no earlier file of the case did, for IF NOT EXISTS)."""
    f, case = s.file, s.file.case
    older = set()
    for g in case.files:
        if g is f:
            break
        for t in g.stmts:
            m = re.match(r"CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:TEMP\w*\s+|UNLOGGED\s+)?TABLE\s+"
                         r"(?:IF\s+NOT\s+EXISTS\s+)?" + NAME, t.full.strip(), re.I)
            if m:
                older.add(norm(m.group(1)))
    new, index_of = set(), {}
    for t in f.stmts:
        if t is s:
            break
        q = t.full.strip()
        m = re.match(r"CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:TEMP\w*\s+|UNLOGGED\s+)?TABLE\s+"
                     r"(IF\s+NOT\s+EXISTS\s+)?" + NAME, q, re.I)
        if m and not (m.group(1) and norm(m.group(2)) in older):
            new.add(norm(m.group(2)))
        m = re.match(r"CREATE\s+MATERIALIZED\s+VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?" + NAME, q, re.I)
        if m:
            new.add(norm(m.group(1)))
        m = re.match(r"ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?" + NAME + r"\s+RENAME\s+TO\s+" + NAME, q, re.I)
        if m and norm(m.group(1)) in new:
            new.add(norm(m.group(2)))
        m = re.match(r"CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?"
                     + NAME + r"\s+ON\s+(?:ONLY\s+)?" + NAME, q, re.I)
        if m:
            index_of[norm(m.group(1))] = norm(m.group(2))
        m = re.match(r"ALTER\s+INDEX\s+(?:IF\s+EXISTS\s+)?" + NAME + r"\s+RENAME\s+TO\s+" + NAME, q, re.I)
        if m and norm(m.group(1)) in index_of:
            index_of[norm(m.group(2))] = index_of[norm(m.group(1))]
    q = s.full.strip()
    targets = []
    for pat in (r"ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?" + NAME,
                r"CREATE\s+(?:UNIQUE\s+)?INDEX\b.*?\bON\s+(?:ONLY\s+)?" + NAME,
                r"(?:DROP|ALTER)\s+(?:TABLE|MATERIALIZED\s+VIEW)\s+(?:IF\s+EXISTS\s+)?" + NAME,
                r"TRUNCATE\s+(?:TABLE\s+)?(?:ONLY\s+)?" + NAME,
                r"LOCK\s+(?:TABLE\s+)?(?:ONLY\s+)?" + NAME,
                r"REINDEX\s+(?:\([^)]*\)\s*)?TABLE\s+(?:CONCURRENTLY\s+)?" + NAME,
                r"CLUSTER\s+(?:VERBOSE\s+)?" + NAME,
                r"VACUUM\s+(?:\([^)]*\)\s*|FULL\s+|VERBOSE\s+|ANALYZE\s+)*" + NAME,
                r"REFRESH\s+MATERIALIZED\s+VIEW\s+(?:CONCURRENTLY\s+)?" + NAME,
                r"UPDATE\s+(?:ONLY\s+)?" + NAME,
                r"DELETE\s+FROM\s+(?:ONLY\s+)?" + NAME):
        m = re.match(pat, q, re.I | re.S)
        if m:
            targets.append(norm(m.group(1)))
            break
    for pat in (r"DROP\s+INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+EXISTS\s+)?" + NAME,
                r"REINDEX\s+(?:\([^)]*\)\s*)?INDEX\s+(?:CONCURRENTLY\s+)?" + NAME):
        m = re.match(pat, q, re.I)
        if m and norm(m.group(1)) in index_of:
            targets.append(index_of[norm(m.group(1))])
    for t in targets:
        if t in new:
            return t
    return None


def earlier_text(s):
    """(file, text) of every statement of the case before s."""
    for g in s.file.case.files:
        for t in g.stmts:
            if t is s:
                return
            yield g, t


def validated_not_null_check(s):
    """A CHECK (col IS NOT NULL) before s that was validated and not dropped
    (following column renames back to the check's name for the column)."""
    m = re.search(r"ALTER\s+(?:COLUMN\s+)?" + NAME + r"\s+SET\s+NOT\s+NULL", s.full, re.I)
    if not m:
        return None
    names = {norm(m.group(1))}
    before = list(earlier_text(s))
    for g, t in reversed(before):
        r = re.search(r"\bRENAME\s+(?:COLUMN\s+)?" + NAME + r"\s+TO\s+" + NAME, t.full, re.I)
        if r and norm(r.group(2)) in names:
            names.add(norm(r.group(1)))
    check = None
    for g, t in before:
        for col in names:
            c = re.search(r'(?:CONSTRAINT\s+%s\s+)?CHECK\s*\(+\s*"?%s"?\s+IS\s+NOT\s+NULL\s*\)' % (NAME, re.escape(col)),
                          t.full, re.I)
            if c:
                check = [g, t, col, c.group(1) and norm(c.group(1)),
                         not re.search(r"\bNOT\s+VALID\b", t.full, re.I)]
        if check and re.search(r"\bVALIDATE\s+CONSTRAINT\b", t.full, re.I):
            check[4] = True
        if check and check[3]:
            d = re.search(r"\bDROP\s+CONSTRAINT\s+(?:IF\s+EXISTS\s+)?" + NAME, t.full, re.I)
            if d and norm(d.group(1)) == check[3]:
                check = None
    if check and check[4]:
        g, t, col = check[:3]
        return "a validated CHECK (%s IS NOT NULL) from %s:%d" % (col, os.path.basename(g.path), t.line)
    return None


def view_replaces(s):
    """ALTER TABLE old RENAME TO new, and a later statement of the same file
    creates a view named old."""
    m = re.match(r"ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?" + NAME + r"\s+RENAME\s+TO\s+" + NAME,
                 s.full.strip(), re.I)
    if not m:
        return None
    old = norm(m.group(1))
    after = False
    for t in s.file.stmts:
        if t is s:
            after = True
            continue
        v = re.match(r"CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+" + NAME, t.full.strip(), re.I)
        if after and v and norm(v.group(1)) == old:
            return "a view named %s replaces the table later in this file (line %d): old code keeps working" % (
                old, t.line)
    return None


NONVOLATILE = (r"(?:'[^']*'(?:::[\w\[\] ]+)?|-?\d+(?:\.\d+)?|true|false|null|current_date|current_time"
               r"|current_timestamp|localtime|localtimestamp|now\(\)|statement_timestamp\(\)"
               r"|transaction_timestamp\(\))")


def squawk_overflags(s, r):
    """Why squawk's R at s is a false alarm by PostgreSQL's semantics, or None."""
    q = s.full
    if r == "require-concurrent-index-creation" and re.search(
            r"CREATE\s+(?:UNIQUE\s+)?INDEX\b[^;]*?\bON\s+ONLY\b", q, re.I):
        return "CREATE INDEX ... ON ONLY makes an invalid index on the partitioned parent alone: nothing is built"
    if r == "adding-field-with-default":
        if re.search(r"\bGENERATED\s+ALWAYS\s+AS\s*\(.*\)\s*VIRTUAL\b", q, re.I | re.S):
            return "a VIRTUAL generated column (PostgreSQL 18) is computed on read: no rewrite"
        d = re.search(r"\bDEFAULT\s+(\S+(?:\s*\(\))?)", q, re.I)
        if (d and re.fullmatch(NONVOLATILE, d.group(1).rstrip(";,"), re.I)
                and not re.search(r"\b(?:GENERATED|SERIAL|BIGSERIAL|SMALLSERIAL)\b", q, re.I)):
            return ("DEFAULT %s is not volatile: PostgreSQL 11+ stores it in the catalog, no rewrite"
                    % d.group(1).rstrip(";,"))
    if r == "ban-drop-not-null" and re.search(r"\bDROP\s+NOT\s+NULL\b", q, re.I):
        return ("DROP NOT NULL breaks no old code (old writers still send values) and takes a "
                "brief lock: zdm's spec classifies it as expand; a new writer that sends NULL is "
                "the app's own change")
    if (r == "ban-alter-domain-with-add-constraint" and re.search(r"\bNOT\s+VALID\b", q, re.I)
            and re.search(r"\bALTER\s+DOMAIN\b", q, re.I)):
        return ("ADD CONSTRAINT ... NOT VALID on a domain checks no existing data; the scan that "
                "blocks writes is its VALIDATE, which zdm refuses (validate-domain-constraint)")
    return None


def canon_type(t):
    t = re.sub(r"\s+", " ", t.strip().lower())
    t = re.sub(r"^pg_catalog\.", "", t)
    t = re.sub(r"\s*\(\s*", "(", t)
    t = re.sub(r"\s*,\s*", ",", t)
    t = re.sub(r"\s*\)", ")", t)
    for a, b in (("character varying", "varchar"), ("int8", "bigint"), ("int4", "integer"),
                 ("int", "integer"), ("decimal", "numeric")):
        t = re.sub(r"^%s\b" % a, b, t)
    return t


def is_widening(old, new):
    o, n = canon_type(old), canon_type(new)
    if o == n:
        return True
    mo, mn = re.match(r"(\w+)(?:\((\d+)(?:,(\d+))?\))?$", o), re.match(r"(\w+)(?:\((\d+)(?:,(\d+))?\))?$", n)
    if not mo or not mn:
        return False
    bo, bn = mo.group(1), mn.group(1)
    if bo == "varchar" and bn == "text":
        return True
    if bo == "varchar" and bn == "varchar":
        return not mn.group(2) or (mo.group(2) and int(mn.group(2)) >= int(mo.group(2)))
    if bo == "text" and bn == "varchar":
        return not mn.group(2)
    if bo == bn == "numeric":
        if not mn.group(2):
            return True
        return (mo.group(2) and int(mn.group(2)) >= int(mo.group(2))
                and (mo.group(3) or "0") == (mn.group(3) or "0"))
    return False


def known_widening(s):
    m = re.search(r"ALTER\s+(?:COLUMN\s+)?" + NAME + r"\s+(?:SET\s+DATA\s+)?TYPE\s+"
                  r"([\w.]+(?:\s+varying)?(?:\s*\([^)]*\))?)", s.full, re.I)
    if not m:
        return None
    col, new = norm(m.group(1)), m.group(2)
    decl = None
    for g, t in earlier_text(s):
        d = re.search(r'(?:\(|,|\bADD\s+(?:COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?)\s*"?%s"?\s+'
                      r"([a-z][\w.]*(?:\s+varying)?(?:\s*\([^)]*\))?)" % re.escape(col),
                      t.full, re.I)
        if d:
            decl = (g, t, d.group(1))
    if decl and is_widening(decl[2], new):
        g, t, old = decl
        return "the old type of %s, %s from %s:%d (%s -> %s is a widening: no rewrite, same values)" % (
            col, old, os.path.basename(g.path), t.line, canon_type(old), canon_type(new))
    return None


# ------------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--stmts", required=True)
    ap.add_argument("--zdm", required=True)
    ap.add_argument("--squawk", required=True)
    ap.add_argument("--squawk-config", required=True)
    ap.add_argument("--squawk-version", required=True)
    ap.add_argument("--zdm-version", required=True)
    ap.add_argument("--csv", required=True)
    ap.add_argument("--started-us", type=int, required=True)
    ap.add_argument("--gen-n", type=int, required=True)
    ap.add_argument("--gen-runs", type=int, required=True)
    ap.add_argument("--gen-zdm-us", type=float, required=True)
    ap.add_argument("--gen-squawk-us", type=float, required=True)
    ap.add_argument("--gen-zdm-json", required=True)
    ap.add_argument("--gen-squawk-json", action="append", default=[])
    a = ap.parse_args()
    os.chdir(a.root)

    rules = zdm_rules(a.zdm)
    cases, files = load_stmts(a.stmts)
    nstmts = sum(len(f.stmts) for f in files.values())

    # which cases are "safe rewrites": their expected lists no finding
    for c in cases:
        with open(os.path.join(c.dir, "expected"), encoding="utf-8") as fh:
            c.safe = not any(l.strip() and not l.startswith("#") for l in fh)

    # --- zdm, once per case directory (one context per case, as the corpus runner)
    for c in cases:
        p = run([a.zdm, "lint", "--dir", c.dir, "--output", "json"], ok=(0, 2, 6))
        if p.returncode == 2:
            c.zdm_error = p.stderr.decode(errors="replace").strip().splitlines()[0]
            c.zdm_error = re.sub(r"^zdm-hook: error: ", "", c.zdm_error)
            continue
        doc = json.loads(p.stdout)
        for fd in doc["findings"]:
            f = files.get(fd["file"])
            if f is None:
                die("zdm reported a file the dumper did not list: " + fd["file"])
            s = stmt_at(f, fd["line"], fd["col"])
            if s is not None:
                s.zdm.append(fd)

    # --- squawk: transactional files assume the transaction zdm wraps them in
    ignored_counts = {}
    other_counts = {}
    for tx in (True, False):
        paths = [f.path for f in files.values() if f.tx == tx and f.stmts]
        if not paths:
            continue
        cmd = [a.squawk, "--config", a.squawk_config, "--reporter", "json",
               "--assume-in-transaction" if tx else "--no-assume-in-transaction"] + paths
        p = run(cmd, ok=(0, 1))
        try:
            found = json.loads(p.stdout or b"[]")
        except ValueError:
            die("squawk printed no JSON: " + p.stdout.decode(errors="replace")[:500])
        for v in found:
            r = v["rule_name"]
            f = files.get(v["file"])
            if f is None:
                die("squawk reported a file it was not given: " + v["file"])
            if r in IGNORED:
                ignored_counts[r] = ignored_counts.get(r, 0) + 1
                continue
            if r not in CHOSEN:
                other_counts[r] = other_counts.get(r, 0) + 1
                continue
            s = stmt_at(f, v["line"] + 1, v["column"] + 1)
            if s is not None:
                s.sq.setdefault(r, (v["line"] + 1, v["column"] + 1, v.get("message") or ""))

    # --- who flags what
    def by_phase(s, fd):
        return fd["status"] == "allowed" and fd["class"] == "contract" and s.file.guarded

    def unsafe(s, fd):
        return fd["rule"] != "unused-allow" and not by_phase(s, fd)

    def zdm_for(s, fd):
        """The squawk rules zdm's finding fd at s counts for."""
        names = rules.get(fd["rule"], ("", []))[1]
        if not names:
            return []
        hit = [r for r in names if r in s.sq]
        if hit:
            return hit
        for r in names:
            if r in PRIMARY and re.search(PRIMARY[r], s.full, re.I):
                return [r]
        return [names[0]]

    stmts = [s for f in files.values() for s in f.stmts]
    zflag = {r: set() for r in CHOSEN}
    sflag = {r: set() for r in CHOSEN}
    for s in stmts:
        for r in s.sq:
            sflag[r].add(s)
        for fd in s.zdm:
            if unsafe(s, fd):
                for r in zdm_for(s, fd):
                    if r in zflag:
                        zflag[r].add(s)

    def classify(s, r):
        c = s.file.case
        if c.zdm_error:
            return "input", "zdm refuses the directory as input (exit 2: %s)" % c.zdm_error
        t = created_earlier(s)
        if t:
            return "context", "zdm knows table %s is created earlier in this file: no rows, no readers" % t
        if r == "adding-not-nullable-field":
            why = validated_not_null_check(s)
            if why:
                return "context", "zdm knows " + why
        if r == "changing-column-type":
            why = known_widening(s)
            if why:
                return "context", "zdm knows " + why
        if r == "renaming-table":
            why = view_replaces(s)
            if why:
                return "context", "zdm knows " + why
        names = [fd for fd in s.zdm if by_phase(s, fd) and r in rules.get(fd["rule"], ("", []))[1]]
        if names:
            return "context", ("zdm knows the file is a guarded contract (phase=contract requires-app=): "
                               "%s allowed by phase" % names[0]["rule"])
        if r in TX_RULES and not s.file.tx:
            return "context", "zdm knows the file runs with transaction=off (not wrapped)"
        other = [fd["rule"] for fd in s.zdm if unsafe(s, fd) and fd["rule"] != "unknown-statement"]
        if other:
            return "other", "zdm flags it as %s" % ", ".join(sorted(set(other)))
        why = squawk_overflags(s, r)
        if why:
            return "semantics", why
        note = []
        if any(fd["rule"] == "unknown-statement" for fd in s.zdm):
            note.append("zdm only warns: unknown-statement")
        if c.safe:
            note.append("the case's expected says safe: %s" % os.path.relpath(c.dir, "tests/data/lint"))
        return "miss", "; ".join(note)

    rows, misses, context, semantics, other, inputs, zonly = [], [], [], [], [], [], []
    verdict = {}   # (stmt, squawk rule) -> (kind, why) of each squawk-only statement
    for r in CHOSEN:
        sq, zd = sflag[r], zflag[r]
        counts = {"context": 0, "semantics": 0, "other": 0, "input": 0, "miss": 0}
        for s in sorted(sq - zd, key=lambda s: (s.file.path, s.line, s.col)):
            kind, why = classify(s, r)
            verdict[(s, r)] = (kind, why)
            counts[kind] += 1
            {"miss": misses, "context": context, "semantics": semantics, "other": other,
             "input": inputs}[kind].append((s, r, why))
        for s in sorted(zd - sq, key=lambda s: (s.file.path, s.line, s.col)):
            zr = sorted({fd["rule"] for fd in s.zdm if unsafe(s, fd) and r in zdm_for(s, fd)})
            zonly.append((s, r, ", ".join(zr)))
        zmapped = sorted(k for k, (cls, names) in rules.items() if r in names)
        rows.append((r, len(sq), len(zd), len(sq & zd), len(sq - zd), counts, len(zd - sq),
                     ", ".join(zmapped) if zmapped else "(none)"))

    # zdm findings with no squawk equivalent
    noeq = {}
    for s in stmts:
        for fd in s.zdm:
            if unsafe(s, fd) and not rules.get(fd["rule"], ("", []))[1]:
                noeq.setdefault(fd["rule"], set()).add(s)

    # safe rewrites
    safe_cases = [c for c in cases if c.safe]
    safe_stmts = [s for c in safe_cases for f in c.files for s in f.stmts]
    safe_z = [s for s in safe_stmts if any(unsafe(s, fd) for fd in s.zdm)]
    safe_s = [s for s in safe_stmts if s.sq]

    # timing
    tz, ts = a.gen_zdm_us, a.gen_squawk_us
    ratio = tz / ts if ts > 0 else 0.0
    with open(a.gen_zdm_json, encoding="utf-8") as fh:
        gen_z = json.load(fh)
    gen_z_flags = len(gen_z["findings"])
    gen_stmts = gen_z.get("statements", 0)
    gen_s, gen_s_ignored = [], 0
    for path in a.gen_squawk_json:
        with open(path, encoding="utf-8") as fh:
            for v in json.load(fh):
                if v["rule_name"] in CHOSEN:
                    gen_s.append(v)
                else:
                    gen_s_ignored += 1

    # --- print
    elapsed = time.time() - a.started_us / 1e6

    def loc(s):
        return "%s:%d" % (os.path.relpath(s.file.path, "tests/data/lint"), s.line)

    def head(s, n=60):
        h = s.head.strip()
        return h if len(h) <= n else h[:n - 3] + "..."

    def item(prefix, s, tail, why=None):
        print("  %s%s  %s  %s" % (prefix, loc(s), head(s), tail))
        if why:
            print("  %s    %s" % (" " * len(prefix), why))

    print("lint: zdm-hook %s vs squawk %s on tests/data/lint: %d cases, %d files, %d statements, "
          "%d CPUs (%.0fs)" % (a.zdm_version, a.squawk_version, len(cases), len(files), nstmts,
                               os.cpu_count() or 0, elapsed))
    print("squawk per file: --assume-in-transaction for the files zdm wraps in a transaction, "
          "--no-assume-in-transaction for transaction=off ones")
    fmt = "%-45s %6s %5s %5s %7s %7s %6s %5s %5s %5s %6s  %s"
    print(fmt % ("squawk rule: statements flagged", "squawk", "zdm", "both", "sq-only",
                 "context", "semant", "other", "input", "MISS", "z-only", "zdm rules naming it"))
    keys = ["context", "semantics", "other", "input", "miss"]
    tot = [0] * 10
    for r, nsq, nzd, nboth, nsqo, cnt, nzo, zr in rows:
        vals = [nsq, nzd, nboth, nsqo] + [cnt[k] for k in keys] + [nzo]
        tot = [x + y for x, y in zip(tot, vals)]
        print(fmt % ((r,) + tuple(vals) + (zr,)))
    print(fmt % (("total (a statement counts once per rule)",) + tuple(tot) + ("",)))
    print("  sq-only (squawk flags, zdm does not) = context (safe by context: zdm knows why) + semant "
          "(squawk over-flags:\n  no such lock or break in PostgreSQL) + other (zdm flags it under "
          "another rule) + input (zdm refuses the case as input) + MISS;\n  z-only: zdm flags, squawk does not")
    print("not comparable (squawk findings ignored):")
    for reason in sorted(set(IGNORED.values())):
        rs = [r for r in sorted(ignored_counts) if IGNORED[r] == reason]
        if rs:
            print("  %s: %s" % (reason, ", ".join("%s %d" % (r, ignored_counts[r]) for r in rs)))
    if "require-lock-timeout" not in ignored_counts:
        print("  require-lock-timeout/require-statement-timeout: "
              "zdm enforces lock_timeout/statement_timeout at run time")
    if other_counts:
        print("  squawk rules in neither list (new?): " +
              ", ".join("%s %d" % kv for kv in sorted(other_counts.items())))
    print("zdm rules with no squawk equivalent (statements): " +
          (", ".join("%s %d" % (k, len(v)) for k, v in sorted(noeq.items())) or "none"))

    print()
    print("MISSES for zdm: %d (target 0) -- squawk flags, zdm does not, and no context explains it"
          % len(misses))
    for s, r, why in misses:
        item("MISS  ", s, "squawk " + r, "squawk: " + s.sq[r][2] + (" [%s]" % why if why else ""))
    print()
    print("safe by context: %d -- squawk flags, zdm's phase/transaction/context knowledge proves it safe"
          % len(context))
    for s, r, why in context:
        item("", s, "squawk " + r, "safe by context (%s)" % why)
    print()
    print("squawk over-flags: %d -- no such lock or break in PostgreSQL, zdm rightly silent"
          % len(semantics))
    for s, r, why in semantics:
        item("", s, "squawk " + r, why)
    print()
    print("flagged by zdm under another rule: %d" % len(other))
    for s, r, why in other:
        item("", s, "squawk %s; %s" % (r, why))
    print()
    print("in cases zdm refuses as input (exit 2, nothing runs): %d" % len(inputs))
    for s, r, why in inputs:
        item("", s, "squawk " + r, why)
    print()
    print("zdm only: %d -- zdm flags, squawk does not" % len(zonly))
    for s, r, zr in zonly:
        also = sorted(set(s.sq) - {r})
        item("", s, "zdm %s (squawk %s%s)" % (zr, r, (": squawk flags it as " + ", ".join(also)) if also
                                             else ": not flagged"))

    print()
    print("no false positive on the safe rewrites: %d cases whose expected lists no finding, %d statements"
          % (len(safe_cases), len(safe_stmts)))
    print("  zdm flags %d (target 0), squawk flags %d" % (len(safe_z), len(safe_s)))
    named = [c for c in cases if not c.safe and
             re.search(r"safe|ok|concurrently|not-valid", os.path.basename(c.dir))]
    if named:
        print("  not counted: cases whose name says safe/ok/concurrently/not-valid but whose expected "
              "lists findings\n  (negative cases): " +
              ", ".join(os.path.relpath(c.dir, "tests/data/lint") for c in named))
    for s in safe_z:
        item("zdm     ", s, ", ".join(sorted({fd["rule"] for fd in s.zdm if unsafe(s, fd)})))
    for s in safe_s:
        kinds = sorted({verdict.get((s, r), ("both", ""))[0] for r in s.sq})
        item("squawk  ", s, "%s [%s]" % (", ".join(sorted(s.sq)), ", ".join(
            {"miss": "MISS", "semantics": "over-flags"}.get(k, k) for k in kinds)))

    print()
    fmt2 = "%-45s %10s %10s %10s"
    print(fmt2 % ("lint %d generated migrations" % a.gen_n, "zdm", "squawk", "zdm/squawk"))
    print(fmt2 % ("wall time (median of %d)" % a.gen_runs, "%.1f ms" % (tz / 1000),
                  "%.1f ms" % (ts / 1000), "%.2f" % ratio))
    print(fmt2 % ("findings (%d statements, all safe)" % gen_stmts, str(gen_z_flags), str(len(gen_s)), ""))
    print("  timed: one `zdm-hook lint --dir DIR --output json` against one `squawk --reporter json "
          "FILE...`\n  (its defaults), output discarded, the tools alternating, after a warm-up run")
    print("  findings: squawk run as on the corpus (transactions mirrored), the rules above only "
          "(%d not comparable ignored)" % gen_s_ignored)
    if gen_s:
        kinds = {}
        for v in gen_s:
            kinds[v["rule_name"]] = kinds.get(v["rule_name"], 0) + 1
        print("  squawk: " + ", ".join("%s %d" % kv for kv in sorted(kinds.items())))
    if gen_z_flags:
        kinds = {}
        for fd in gen_z["findings"]:
            kinds[fd["rule"]] = kinds.get(fd["rule"], 0) + 1
        print("  zdm: " + ", ".join("%s %d" % kv for kv in sorted(kinds.items())))

    os.makedirs(os.path.dirname(a.csv), exist_ok=True)
    with open(a.csv, "w", encoding="utf-8") as fh:
        fh.write("figure,unit,zdm,squawk,ratio,target,verdict\n")
        for r, nsq, nzd, nboth, nsqo, cnt, nzo, zr in rows:
            fh.write("flagged:%s,statements,%d,%d,,,\n" % (r, nzd, nsq))
        # the totals count a statement once per squawk rule
        fh.write("flagged_total,statement-rules,%d,%d,,,\n" % (tot[1], tot[0]))
        fh.write("flagged_by_both,statement-rules,%d,%d,,,\n" % (tot[2], tot[2]))
        fh.write("squawk_only,statement-rules,,%d,,,\n" % tot[3])
        fh.write("squawk_only_safe_by_context,statement-rules,,%d,,,\n" % tot[4])
        fh.write("squawk_only_overflagged,statement-rules,,%d,,,\n" % tot[5])
        fh.write("squawk_only_other_zdm_rule,statement-rules,,%d,,,\n" % tot[6])
        fh.write("squawk_only_refused_as_input,statement-rules,,%d,,,\n" % tot[7])
        fh.write("misses,statement-rules,%d,,,0,%s\n" % (tot[8], "meets target" if tot[8] == 0 else "MISSES target"))
        fh.write("zdm_only,statement-rules,%d,,,,\n" % tot[9])
        fh.write("safe_rewrites_flagged,statements,%d,%d,,0,%s\n" % (
            len(safe_z), len(safe_s), "meets target" if not safe_z else "MISSES target"))
        fh.write("lint_%d_median,us,%.0f,%.0f,%.2f,,\n" % (a.gen_n, tz, ts, ratio))
        fh.write("lint_%d_findings,findings,%d,%d,,,\n" % (a.gen_n, gen_z_flags, len(gen_s)))
    print()
    print("verdict: misses %d (target 0): %s; zdm flags on the safe rewrites %d (target 0): %s; "
          "lint time zdm/squawk %.2f" % (
              tot[8], "meets target" if tot[8] == 0 else "MISSES target", len(safe_z),
              "meets target" if not safe_z else "MISSES target", ratio))
    print("figures written to %s" % os.path.relpath(a.csv, a.root))

if __name__ == "__main__":
    main()
