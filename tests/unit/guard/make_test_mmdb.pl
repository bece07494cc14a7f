#!/usr/bin/perl
# Writes a tiny MaxMind-format country database for country_db_test.cc:
#   perl make_test_mmdb.pl OUT.mmdb
# Needs MaxMind::DB::Writer (Debian: libmaxmind-db-writer-perl). The networks are the
# documentation ranges, so reserved networks must be kept.
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my $out = shift or die "usage: $0 OUT.mmdb\n";
my %types = (
    country            => 'map',
    registered_country => 'map',
    iso_code           => 'utf8_string',
);
my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version               => 6,
    record_size              => 24,
    database_type            => 'TrunkGuard-Test-Country',
    languages                => ['en'],
    description              => { en => 'trunkguard unit test country database' },
    map_key_type_callback    => sub { $types{ $_[0] } },
    remove_reserved_networks => 0,
);
$tree->insert_network('192.0.2.0/24',     { country => { iso_code => 'DE' } });
$tree->insert_network('198.51.100.0/24',  { country => { iso_code => 'CN' } });
# Only a registered country, as for some anycast networks.
$tree->insert_network('203.0.113.0/24',   { registered_country => { iso_code => 'US' } });
$tree->insert_network('2001:db8:de::/48', { country => { iso_code => 'DE' } });
open(my $fh, '>:raw', $out) or die "cannot write $out: $!\n";
$tree->write_tree($fh);
close($fh) or die "cannot write $out: $!\n";
