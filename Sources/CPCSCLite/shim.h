/* PC/SC through pcsc-lite (libpcsclite, Debian's libpcsclite-dev): readers, cards, APDUs. */
#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>
#include <PCSC/pcsclite.h>
