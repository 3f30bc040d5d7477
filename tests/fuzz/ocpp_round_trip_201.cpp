// The round trips of ocpp_round_trip.hpp for OCPP 2.0.1, instantiated once for the fuzz targets that
// share them (one file per version, so that they compile in parallel).
#include "tests/fuzz/ocpp_round_trip.hpp"

namespace evbroker::fuzz {

template bool decode_round_trip<ocpp201_api, ocpp201::Request>(ocpp201_api::Action, std::string_view, bool,
                                                               ocpp201::Request*, std::size_t);
template bool decode_round_trip<ocpp201_api, ocpp201::Response>(ocpp201_api::Action, std::string_view, bool,
                                                                ocpp201::Response*, std::size_t);

}  // namespace evbroker::fuzz
