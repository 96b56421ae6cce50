// The clock the couch reads invite and guest expiry from. The hearth binary
// links the wall clock (couch_clock.cpp); the couch tests link a build of
// the same CLI whose clock they can move (tests/support/test_clock.cpp), so
// no setting of the production binary can shift its expiry.
#pragma once

#include "actors/guest_actor.hpp"

namespace hearth::app {

actors::clock_fn couch_clock();

}  // namespace hearth::app
