#pragma once
// Paho MQTT C 1.3 leaves Nagle's algorithm on for its broker socket and offers no way to reach the
// socket. With Nagle on, a small PUBLISH that follows another one waits for the broker's delayed ACK
// (40 ms on Linux), and one OCPP round trip through a gateway crosses four such sockets: ~90 ms
// instead of ~1 ms. This finds the process's TCP sockets connected to the broker's port and turns
// Nagle off on them (harmless for any other socket to that port). Internal to mqtt_link.cpp.

#include <string>

namespace evbroker::transport::detail {

/// `server_uri` as Paho reports it ("tcp://host:1883", "ssl://host:8883"). Returns the number of
/// sockets changed.
int disable_nagle_towards(const std::string& server_uri);

}  // namespace evbroker::transport::detail
