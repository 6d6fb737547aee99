#!/usr/bin/env bash
# Builds build/vdagent_<version>_<arch>.deb with dpkg-deb: the compiled JavaScript with its
# production dependencies (native prebuilds for this architecture only), the launcher, the
# systemd unit, the udev rule, actions.d, the integration profiles, the man pages and the
# maintainer scripts.
# Needs npm's registry or cache for the dependencies, pandoc for the man pages, dpkg-deb.
set -euo pipefail

for tool in dpkg-deb:dpkg dpkg-shlibdeps:dpkg-dev pandoc:pandoc; do
  command -v "${tool%%:*}" >/dev/null || { echo "build-deb: ${tool%%:*} is missing: apt-get install ${tool#*:}" >&2; exit 1; }
done
root="$(cd "$(dirname "$0")/.." && pwd)"
here="$root/packaging"
out="$root/build"
version="$(node -p "require('$root/package.json').version")"
arch="$(dpkg --print-architecture)"
node_platform="$(node -p 'process.platform + "-" + process.arch')"
stage="$out/deb/vdagent_${version}_${arch}"
deb="$out/vdagent_${version}_${arch}.deb"
maintainer="${DEBFULLNAME:-vdagent maintainers} <${DEBEMAIL:-vdagent@users.noreply.github.com}>"
# Reproducible: every date in the package is the last commit's (or now, outside a git tree).
epoch="${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}"
export SOURCE_DATE_EPOCH="$epoch"

rm -rf "$stage" "$deb"
mkdir -p "$stage"

# The application: the sources bundled with their pure-JavaScript dependencies (winston,
# dbus-next) into dist/cli.js and the pieces it loads later (packaging/bundle.mjs; type-checked
# first, no source maps: the sources are not shipped), a minimal package.json ("type": "module"
# makes dist/*.js ES modules) and the dependencies with native addons, which stay packages.
app="$stage/usr/lib/vdagent/app"
(cd "$root" && npx tsc -p tsconfig.json --noEmit)
# The folders of the npm packages bundled, one a line.
(cd "$root" && node "$here/bundle.mjs" "$app/dist") > "$out/deb/bundled-packages"
mapfile -t bundled < "$out/deb/bundled-packages"
cp "$root/package.json" "$root/package-lock.json" "$app/"
(cd "$app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error >/dev/null)
node -e '
  const fs = require("fs");
  const [file, ...bundled] = process.argv.slice(1);
  const p = JSON.parse(fs.readFileSync(file, "utf8"));
  const dependencies = Object.fromEntries(Object.entries(p.dependencies).filter(([name]) => !bundled.some((dir) => dir.endsWith(`/node_modules/${name}`))));
  const keep = { name: p.name, version: p.version, private: true, type: p.type, license: p.license, dependencies };
  fs.writeFileSync(file, JSON.stringify(keep, null, 2) + "\n");
' "$app/package.json" "${bundled[@]}"
rm "$app/package-lock.json" "$app/node_modules/.package-lock.json"
# Only what the native addons' packages need stays: the bundled libraries' trees go.
node "$here/prune-modules.mjs" "$app"
rm -rf "$app/node_modules/.bin"
# Native prebuilds: keep this platform's glibc builds, drop every other platform's and musl's.
prebuilds="$app/node_modules/@serialport/bindings-cpp/prebuilds"
find "$prebuilds" -mindepth 1 -maxdepth 1 ! -name "$node_platform" -exec rm -rf {} +
find "$app/node_modules" -name '*.node' -path '*musl*' -delete
find "$app/node_modules/@koromix" -mindepth 2 -maxdepth 2 -type d -name 'musl_*' -exec rm -rf {} +
# What only building, testing, type-checking or reading needs: koffi's build tool, packages'
# tests and examples, type declarations, source maps, documents, backup files.
rm -f "$app/node_modules/koffi/cnoke.cjs"
find "$app/node_modules" -depth -type d \( -name test -o -name tests -o -name example -o -name examples \) -exec rm -rf {} +
find "$app/node_modules" -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' \
  -o -iname '*.md' -o -iname '*.markdown' -o -name '*~' -o -name '.*' \) -delete
find "$app/node_modules" -type d -empty -delete
# Executable are only the scripts with a #! line.
find "$app" -type f -exec chmod 0644 {} +
find "$app" -type f -exec sh -c 'head -c2 "$1" | grep -q "^#!"' _ {} \; -exec chmod 0755 {} +

# The launcher, the unit, the udev rule, actions.d, the profiles.
install -D -m 0755 "$here/vdagent.sh" "$stage/usr/bin/vdagent"
install -D -m 0644 "$root/systemd/vdagent.service" "$stage/usr/lib/systemd/system/vdagent.service"
install -D -m 0644 "$root/systemd/60-vdagent.rules" "$stage/usr/lib/udev/rules.d/60-vdagent.rules"
mkdir -p "$stage/usr/lib/vdagent/actions.d" "$stage/usr/share/vdagent/actions.available" "$stage/etc/vdagent/actions.d"
cp -a "$root/actions.d/." "$stage/usr/lib/vdagent/actions.d/"
if [ -d "$root/actions.available" ]; then cp -a "$root/actions.available/." "$stage/usr/share/vdagent/actions.available/"; fi
# Integration profiles (vdagent profile NAME): lists of actions.available entries and drop-ins.
mkdir -p "$stage/usr/share/vdagent/profiles"
cp -a "$root/profiles/." "$stage/usr/share/vdagent/profiles/"

# Man pages, documentation.
for page in vdagent.8 vdagent-actions.d.5; do
  dir="$stage/usr/share/man/man${page##*.}"
  mkdir -p "$dir"
  pandoc --standalone --from markdown --to man "$here/man/$page.md" | gzip -9n > "$dir/$page.gz"
done
doc="$stage/usr/share/doc/vdagent"
mkdir -p "$doc"
cp "$here/copyright" "$doc/copyright"
# The license files of the npm packages bundled into dist/, under their place in node_modules.
for dir in "${bundled[@]}"; do
  into="$doc/node_modules/${dir#*node_modules/}"
  mkdir -p "$into"
  find "$dir" -maxdepth 1 -type f \( -iname 'licen[cs]e*' -o -iname 'copying*' -o -iname 'notice*' \) -exec cp {} "$into/" \;
done
date_rfc="$(date -u -R -d "@$epoch")"
printf 'vdagent (%s) unstable; urgency=medium\n\n  * Built from the vdagent repository.\n\n -- %s  %s\n' \
  "$version" "$maintainer" "$date_rfc" | gzip -9n > "$doc/changelog.gz"

# Modes: root owns everything (dpkg-deb --root-owner-group); nothing is writable but by root.
find "$stage" -type d -exec chmod 0755 {} +
find "$stage" -type f -perm /0111 -exec chmod 0755 {} +
find "$stage" -type f ! -perm /0111 -exec chmod 0644 {} +

# Control files.
mkdir -p "$stage/DEBIAN"
for script in preinst postinst prerm postrm; do install -m 0755 "$here/$script" "$stage/DEBIAN/$script"; done
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum > DEBIAN/md5sums)
chmod 0644 "$stage/DEBIAN/md5sums"
installed_size="$(du -sk --exclude=DEBIAN "$stage" | cut -f1)"
# The libraries the native addons link (dpkg-shlibdeps wants a debian/control to run beside).
shlibs_dir="$(mktemp -d)"
trap 'rm -rf "$shlibs_dir"' EXIT
mkdir "$shlibs_dir/debian" && printf 'Source: vdagent\n\nPackage: vdagent\nArchitecture: any\n' > "$shlibs_dir/debian/control"
mapfile -t objects < <(find "$app/node_modules" -type f -name '*.node')
shlibs="$(cd "$shlibs_dir" && dpkg-shlibdeps -O --warnings=0 "${objects[@]/#/-e}" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')"
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$installed_size/" -e "s|@MAINTAINER@|$maintainer|" -e "s/@SHLIBS@/$shlibs/" \
  "$here/control" > "$stage/DEBIAN/control"

find "$stage" -exec touch -h -d "@$epoch" {} +
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
