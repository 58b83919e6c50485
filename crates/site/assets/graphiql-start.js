// Starts GraphiQL on this server's /graphql, with subscriptions over /graphql/ws.
(function () {
  const http = new URL('/graphql', window.location.href).toString();
  const ws = new URL('/graphql/ws', window.location.href);
  ws.protocol = ws.protocol === 'https:' ? 'wss:' : 'ws:';
  const fetcher = GraphiQL.createFetcher({
    url: http,
    wsClient: graphqlWs.createClient({ url: ws.toString(), lazy: true }),
  });
  const query = `# The national standard as in force on 1 June 2022
{
  standard(jurisdiction: "CN") {
    edition(validAt: "2022-06-01") {
      declaredItemCount
      aspects { name categories { name items { number name } } }
    }
  }
}
`;
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, { fetcher, defaultQuery: query }),
  );
})();
