#pragma once
// std::visit with a set of lambdas: std::visit(Overloaded{[](const A&) {...}, [](const auto&) {...}}, v).

namespace evbroker::actors {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

}  // namespace evbroker::actors
