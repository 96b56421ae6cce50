// GET /metrics: the node's figures in Prometheus's text format (0.0.4), for
// loopback peers and for the host token. Gathers, at each scrape, the metrics
// registry's counters, the HTTP edge's and the sandbox's own counts, and the
// gauges the actors that own them answer (the supervisor's actors, the task
// registry's runs, the sellers online, the couch's guests and their usage).
#pragma once

#include <caf/fwd.hpp>

#include <memory>
#include <string>
#include <vector>

#include "messages/metrics.hpp"
#include "net/http_metrics.hpp"
#include "net/http_types.hpp"
#include "net/node_info.hpp"

namespace hearth::net {

bool route_metrics(caf::actor_system& sys, const std::shared_ptr<const node_info>& info,
                   const std::shared_ptr<http_metrics>& http, http_request& req, responder& respond);

// The exposition text of samples: each known family once, with its HELP and
// TYPE, its samples in order; samples of a family it does not know are left out.
std::string prometheus_text(std::vector<metric_sample> samples);

}  // namespace hearth::net
