#ifndef SAMSA_DURABILITY_H
#define SAMSA_DURABILITY_H

/// The durability tracker is an LD_PRELOAD library: it has no API to call. The lab starts broker
/// processes with
///
///     LD_PRELOAD=<path>/libSamsaDurability.so
///     SAMSA_DURABILITY_ROOT=<absolute data directory>
///     SAMSA_DURABILITY_JOURNAL=<journal file outside that directory>
///
/// and the library appends one line per file event under the root to the journal (see
/// `DurabilityJournal.swift` in the Lab target for the format and how a power loss uses it).
///
/// The version of the journal format this library writes (the `V` record).
#define SAMSA_DURABILITY_JOURNAL_VERSION 1

int samsa_durability_journal_version(void);

#endif
