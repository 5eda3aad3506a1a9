#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# man-contract.sh: message_slot(4) and the contract table must not drift.
# The contract (docs/contract.md, all of it, its tables of calls and of
# module parameters) is the source of truth; this compares, both ways:
#  - every (error, call) pair: an E* name in a row's result column with the
#    call(s) of that row, against the man page's ERRORS entries (.TP, the
#    error name(s), then ".RB ( call ", " call )");
#  - every (module parameter, default) pair of the parameter table against
#    the man page's MODULE PARAMETERS entries (.BR name " (default D)").
# Prints the differences and exits 1 if there are any; prints nothing and
# exits 0 when they agree. Usage: man-contract.sh [CONTRACT.md [PAGE.4]]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
contract=${1:-$root/docs/contract.md}
[ -f "$contract" ] || contract=$root/README.md
page=${2:-$root/docs/man/message_slot.4}

from_contract() {
	perl -ne '
		# docs/contract.md is the contract, all of it; README.md only
		# while it had the contract in a section of its own.
		$in = 1 if /^## The contract/;
		$in = 0 if /^## / && !/^## The contract/;
		$in = 1 if $ARGV !~ /README/;
		chomp;
		next unless $in && /^\|/ && !/^\|---/;
		my @c = map { s/^\s+|\s+$//gr } split /(?<!\\)\|/;
		shift @c;
		if (@c >= 3 && $c[0] ne "call" && $c[0] ne "parameter") {
			my @calls = $c[0] =~ /`/ ? ($c[0] =~ /`(\w+)/g) : ($c[0]);
			my %e = map { $_ => 1 } grep { !/^EPOLL/ } $c[2] =~ /\b(E[A-Z]{3,})\b/g;
			for my $call (@calls) { print "error $_ $call\n" for sort keys %e }
		}
		if (@c == 3 && $c[1] =~ /^\d+$/ && $c[0] =~ /^`(\w+)`$/) {
			print "param $1 $c[1]\n";
		}
	' "$contract" | LC_ALL=C sort -u
}

from_page() {
	perl -ne '
		if (/^\.SH (.*)/) { $sec = $1; next }
		if ($sec eq "ERRORS") {
			if (/^\.TP/) { $want = "errno"; next }
			if ($want eq "errno") { @e = grep { !/^EPOLL/ } /\b(E[A-Z]{3,})\b/g; $want = "calls"; next }
			if ($want eq "calls" && /^\.RB \( (.*) \)\s*$/) {
				for my $call (split /\s*", "\s*/, $1) {
					$call =~ s/"//g;
					print "error $_ $call\n" for @e;
				}
				$want = "";
			}
		}
		if ($sec eq "MODULE PARAMETERS" && /^\.BR (\w+) " \(default (\d+)\)"/) {
			print "param $1 $2\n";
		}
	' "$page" | LC_ALL=C sort -u
}

a=$(from_contract)
b=$(from_page)
[ -n "$a" ] || { echo "man-contract.sh: found no contract rows in $contract"; exit 1; }
if [ "$a" != "$b" ]; then
	diff <(echo "$a") <(echo "$b") | sed -n "s|^< |only in ${contract#"$root"/}: |p; s|^> |only in ${page#"$root"/}: |p"
	exit 1
fi
